/**
 * The SQLite fast path of the store, used by the engine on the default database.
 *
 * Prisma costs about 1-2 ms of CPU per query on this path (query compilation in
 * WebAssembly plus its runtime), which capped inbound SMTP near 90 messages/s. This
 * writer keeps one better-sqlite3 connection with statements prepared once, and
 * group-commits: deliveries that arrive while a commit is in progress are written
 * together in the next transaction (one fsync for many messages, each in its own
 * SAVEPOINT so one failure does not fail its neighbours). The rows are exactly those
 * Prisma writes (same ids, dates as ISO text, booleans as 0/1), and the web app reads
 * them with Prisma. PostgreSQL uses the Prisma path in deliver.ts.
 *
 * The engine runs the writer on its own thread (sqlite-writer-thread.ts), so the
 * COMMIT's fsync never blocks SMTP; recipient look-ups use SqliteLookup, a read-only
 * connection on the main thread.
 */
import Database from "better-sqlite3";
import { createId } from "../domain/ids";
import type { DirectoryLookup, LocalAccount } from "../routing/resolve";
import type { MessageSummary } from "../mime/summary";
import type { Delivered, PreparedDelivery } from "./deliver";
import { INBOX } from "./mailboxes";

interface Job {
  d: PreparedDelivery;
  resolve(v: Delivered[]): void;
  reject(e: unknown): void;
}

const MAX_BATCH = 256;
const iso = (d: Date) => d.toISOString().replace("Z", "+00:00");

export class SqliteStoreWriter {
  private readonly conn: Database.Database;
  private readonly s: Record<string, Database.Statement>;
  private pending: Job[] = [];
  private scheduled = false;
  private closed = false;

  constructor(file: string) {
    this.conn = new Database(file, { timeout: 15_000 });
    this.conn.pragma("journal_mode = WAL");
    this.conn.pragma("synchronous = FULL");
    this.conn.pragma("foreign_keys = ON");
    const p = (sql: string) => this.conn.prepare(sql);
    this.s = {
      blob: p(`INSERT INTO "Blob" ("hash", "size", "data", "createdAt") VALUES (?, ?, ?, ?) ON CONFLICT ("hash") DO NOTHING`),
      mailbox: p(`UPDATE "Mailbox" SET "uidNext" = "uidNext" + 1, "highestModSeq" = "highestModSeq" + 1 WHERE "accountId" = ? AND "name" = ? RETURNING "id", "uidNext", "highestModSeq"`),
      thread: p(`SELECT "threadId" FROM "Message" WHERE "accountId" = ? AND "messageIdHeader" = ? AND "threadId" != '' LIMIT 1`),
      message: p(
        `INSERT INTO "Message" ("id", "mailboxId", "accountId", "uid", "modSeq", "blobHash", "size", "internalDate", "seen", "answered", "flagged", "deleted", "draft", "keywords",
          "fromAddress", "fromName", "toAddresses", "ccAddresses", "subject", "sentDate", "messageIdHeader", "inReplyTo", "references", "snippet", "hasAttachments", "threadId", "queueId")
         VALUES (@id, @mailboxId, @accountId, @uid, @modSeq, @blobHash, @size, @internalDate, @seen, @answered, @flagged, 0, @draft, '',
          @fromAddress, @fromName, @toAddresses, @ccAddresses, @subject, @sentDate, @messageIdHeader, @inReplyTo, @references, @snippet, @hasAttachments, @threadId, @queueId)`,
      ),
      used: p(`UPDATE "Account" SET "usedBytes" = "usedBytes" + ? WHERE "id" = ?`),
      outbound: p(`INSERT INTO "OutboundMessage" ("id", "accountId", "mailFrom", "blobHash", "size", "isDsn", "createdAt") VALUES (?, ?, ?, ?, ?, 0, ?)`),
      recipient: p(
        `INSERT INTO "OutboundRecipient" ("id", "messageId", "address", "domain", "status", "attempts", "nextAttemptAt", "lastReply", "delayNotified", "createdAt") VALUES (?, ?, ?, ?, 'queued', 0, ?, '', 0, ?)`,
      ),
      begin: p("BEGIN IMMEDIATE"),
      commit: p("COMMIT"),
      savepoint: p("SAVEPOINT one"),
      release: p("RELEASE one"),
      rollbackTo: p("ROLLBACK TO one"),
      log: p(`INSERT INTO "DeliveryLog" ("id", "queueId", "recipient", "event", "detail", "remoteHost", "tls", "createdAt") VALUES (?, ?, ?, ?, ?, '', '', ?)`),
    };
  }

  write(d: PreparedDelivery): Promise<Delivered[]> {
    if (this.closed) return Promise.reject(new Error("the store writer is closed"));
    return new Promise((resolve, reject) => {
      this.pending.push({ d, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    while (this.pending.length) {
      const batch = this.pending.splice(0, MAX_BATCH);
      const results: Array<{ ok: true; v: Delivered[] } | { ok: false; e: unknown }> = [];
      try {
        this.s.begin.run();
        for (const job of batch) {
          this.s.savepoint.run();
          try {
            results.push({ ok: true, v: this.apply(job.d) });
            this.s.release.run();
          } catch (e) {
            this.s.rollbackTo.run();
            this.s.release.run();
            results.push({ ok: false, e });
          }
        }
        this.s.commit.run();
      } catch (e) {
        if (this.conn.inTransaction) this.conn.exec("ROLLBACK");
        for (const job of batch) job.reject(e);
        continue;
      }
      batch.forEach((job, i) => {
        const r = results[i];
        if (r.ok) job.resolve(r.v);
        else job.reject(r.e);
      });
    }
  }

  private apply(d: PreparedDelivery): Delivered[] {
    const now = iso(new Date());
    for (const b of new Set([d.blob, d.queueBlob])) if (b) this.s.blob.run(b.hash, b.size, b.inlineData, now);
    const out: Delivered[] = [];
    const s = d.summary;
    const threads = new Map<string, string>();
    if (d.targets.length && (!s || !d.blob)) throw new Error(`delivery ${d.queueId} has targets but no ${s ? "blob" : "summary"}`);
    for (const t of d.targets) {
      if (!s || !d.blob) break;
      const mb = this.s.mailbox.get(t.accountId, t.mailbox ?? INBOX) as { id: string; uidNext: number; highestModSeq: number } | undefined;
      if (!mb) throw new Error(`account ${t.accountId} has no folder ${t.mailbox ?? INBOX}`);
      const id = createId();
      if (!threads.has(t.accountId)) threads.set(t.accountId, this.threadOf(t.accountId, s));
      this.s.message.run({
        id,
        mailboxId: mb.id,
        accountId: t.accountId,
        uid: mb.uidNext - 1,
        modSeq: mb.highestModSeq,
        blobHash: d.blob.hash,
        size: d.blob.size,
        internalDate: iso(d.internalDate),
        seen: t.flags?.seen ? 1 : 0,
        answered: t.flags?.answered ? 1 : 0,
        flagged: t.flags?.flagged ? 1 : 0,
        draft: t.flags?.draft ? 1 : 0,
        fromAddress: s.fromAddress,
        fromName: s.fromName,
        toAddresses: JSON.stringify(s.to),
        ccAddresses: JSON.stringify(s.cc),
        subject: s.subject,
        sentDate: s.sentDate ? iso(s.sentDate) : null,
        messageIdHeader: s.messageId,
        inReplyTo: s.inReplyTo,
        references: s.references.join(" "),
        snippet: s.snippet,
        hasAttachments: s.hasAttachments ? 1 : 0,
        threadId: threads.get(t.accountId) || id,
        queueId: d.queueId,
      });
      this.s.used.run(d.blob.size, t.accountId);
      out.push({ accountId: t.accountId, mailboxId: mb.id, messageId: id, uid: mb.uidNext - 1 });
    }
    if (d.queue && d.queueBlob) {
      this.s.outbound.run(d.queueId, d.queue.accountId, d.queue.mailFrom, d.queueBlob.hash, d.queueBlob.size, now);
      for (const a of d.queue.recipients) this.s.recipient.run(createId(), d.queueId, a, a.slice(a.lastIndexOf("@") + 1), now, now);
    }
    if (d.receivedFrom) this.s.log.run(createId(), d.queueId, "", "received", d.receivedFrom, now);
    for (const t of d.targets) this.s.log.run(createId(), d.queueId, t.recipient ?? "", "delivered", `to ${t.mailbox ?? INBOX}`, now);
    if (d.queue) for (const r of d.queue.recipients) this.s.log.run(createId(), d.queueId, r, "queued", "for remote delivery", now);
    return out;
  }

  private threadOf(accountId: string, s: MessageSummary): string {
    for (const ref of [s.inReplyTo, ...s.references.slice().reverse()]) {
      if (!ref) continue;
      const r = this.s.thread.get(accountId, ref) as { threadId: string } | undefined;
      if (r) return r.threadId;
    }
    return "";
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.pending.length) this.flush();
    this.conn.close();
  }
}

/** The reads recipient resolution needs, as statements prepared once on a read-only connection. */
export class SqliteLookup implements DirectoryLookup {
  private readonly conn: Database.Database;
  private readonly s: Record<"domain" | "aliases" | "account", Database.Statement>;

  constructor(file: string) {
    this.conn = new Database(file, { readonly: true, timeout: 15_000 });
    this.s = {
      domain: this.conn.prepare(`SELECT 1 FROM "Domain" WHERE "name" = ?`),
      aliases: this.conn.prepare(`SELECT "destination" FROM "Alias" WHERE "address" = ?`),
      account: this.conn.prepare(`SELECT "id", "email", "quotaBytes", "usedBytes", "disabled" FROM "Account" WHERE "email" = ?`).safeIntegers(true),
    };
  }

  async domainExists(name: string): Promise<boolean> {
    return this.s.domain.get(name) !== undefined;
  }
  async aliasDestinations(address: string): Promise<string[]> {
    return (this.s.aliases.all(address) as Array<{ destination: string }>).map((r) => r.destination);
  }
  async account(email: string): Promise<(LocalAccount & { disabled: boolean }) | null> {
    const r = this.s.account.get(email) as { id: string; email: string; quotaBytes: bigint; usedBytes: bigint; disabled: bigint } | undefined;
    return r ? { id: r.id, email: r.email, quotaBytes: r.quotaBytes, usedBytes: r.usedBytes, disabled: r.disabled !== 0n } : null;
  }

  close(): void {
    this.conn.close();
  }
}
