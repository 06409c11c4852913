/**
 * The POP3 maildrop (RFC 1939 8): the account's INBOX as it was when the session
 * authenticated, numbered 1..n by UID. Messages that arrive later wait for the next
 * session; DELE only marks, and QUIT's UPDATE state removes the marked messages through
 * the store (MailStore.expunge), so they are gone for IMAP and the web as well.
 */
import type { EngineContext } from "../context";
import { INBOX } from "../../lib/store/mailboxes";
import { DotStuffer, TopFilter } from "./dot-stuff";

/** Bytes read from the blob store per step of RETR/TOP: a 50 MB message is never in memory whole. */
export const CHUNK_BYTES = 256 * 1024;

export interface DropMessage {
  id: string;
  uid: number;
  size: number;
  blobHash: string;
  seen: boolean;
  deleted: boolean;
}

export class Maildrop {
  private constructor(
    private readonly ctx: EngineContext,
    readonly accountId: string,
    readonly mailboxId: string,
    readonly uidValidity: number,
    readonly messages: DropMessage[],
  ) {}

  static async open(ctx: EngineContext, accountId: string): Promise<Maildrop> {
    const mb = await ctx.db.mailbox.findUnique({ where: { accountId_name: { accountId, name: INBOX } }, select: { id: true, uidValidity: true } });
    if (!mb) throw new Error(`account ${accountId} has no ${INBOX}`);
    const rows = await ctx.db.message.findMany({
      where: { mailboxId: mb.id, accountId },
      select: { id: true, uid: true, size: true, blobHash: true, seen: true },
      orderBy: { uid: "asc" },
    });
    return new Maildrop(ctx, accountId, mb.id, mb.uidValidity, rows.map((r) => ({ ...r, deleted: false })));
  }

  /** Message number n (1-based) unless it does not exist or is marked deleted (RFC 1939 5). */
  get(n: number): DropMessage | null {
    const m = Number.isInteger(n) && n >= 1 ? this.messages[n - 1] : undefined;
    return m && !m.deleted ? m : null;
  }

  /** RFC 1939 7 UIDL: unique and never reused, since a UID is never reused under one UIDVALIDITY. */
  uidl(m: DropMessage): string {
    return `${this.uidValidity}.${m.uid}`;
  }

  live(): Array<[number, DropMessage]> {
    return this.messages.map((m, i) => [i + 1, m] as [number, DropMessage]).filter(([, m]) => !m.deleted);
  }

  /** Whether the message is still in the store (another session may have expunged it since the snapshot). */
  async exists(m: DropMessage): Promise<boolean> {
    return (await this.ctx.db.message.count({ where: { id: m.id, mailboxId: this.mailboxId } })) > 0;
  }

  /**
   * Streams the message (or, with topLines, its header and that many body lines),
   * dot-stuffed and terminated, to write(); write() resolves when the socket can take more.
   */
  async stream(m: DropMessage, write: (b: Buffer) => Promise<void>, topLines?: number): Promise<void> {
    const stuffer = new DotStuffer();
    const top = topLines === undefined ? null : new TopFilter(topLines);
    const size = m.size;
    for (let start = 0; start < size; start += CHUNK_BYTES) {
      let chunk = await this.ctx.blobs.getRange(m.blobHash, start, Math.min(size, start + CHUNK_BYTES));
      if (chunk.length === 0) throw new Error(`blob ${m.blobHash} ended at byte ${start} of ${size}`);
      if (top) chunk = top.push(chunk);
      if (chunk.length) await write(stuffer.push(chunk));
      if (top?.finished) break;
    }
    await write(stuffer.end());
  }

  /** RFC 1939 7 RETR: the message is marked \Seen, as Dovecot does by default (pop3_no_flag_updates=no). */
  async markSeen(m: DropMessage): Promise<void> {
    if (m.seen) return;
    await this.ctx.store.setFlags({ accountId: this.accountId, mailboxId: this.mailboxId, messageIds: [m.id], mode: "add", flags: ["seen"] });
    m.seen = true;
  }

  /** The UPDATE state (RFC 1939 6): removes the messages marked deleted; returns how many went. */
  async commit(): Promise<number> {
    const ids = this.messages.filter((m) => m.deleted).map((m) => m.id);
    if (ids.length === 0) return 0;
    const r = await this.ctx.store.expunge({ accountId: this.accountId, mailboxId: this.mailboxId, messageIds: ids, onlyDeleted: false });
    return r.uids.length;
  }
}
