/**
 * COPY and MOVE (RFC 3501 6.4.7, RFC 6851, RFC 4315 COPYUID): the destination gets the
 * messages under new UIDs, in source UID order, with their flags, keywords and internal
 * dates, sharing the same blob. A move expunges the sources in the same transaction.
 */
import { createId } from "../../domain/ids";
import { StoreError } from "../errors";
import { recordChange } from "../journal";
import { inList, type StoreTx } from "../tx";
import { expungeLocked } from "./expunge";
import { writeKeywordIndex, rememberKeywords } from "./flags";
import { bumpMailbox, lockMailbox, type LockedMailbox } from "./lock";

export interface CopyArgs {
  accountId: string;
  fromMailboxId: string;
  /** By UID (IMAP) or by message id (web). */
  uids?: number[];
  messageIds?: string[];
  /** Destination by name (IMAP) or id. */
  to: { name?: string; id?: string };
  move: boolean;
}

export interface CopyResult {
  uidValidity: number;
  toMailboxId: string;
  /** [source UID, destination UID] in source UID order (COPYUID). */
  mapping: Array<[number, number]>;
  /** Source UIDs expunged by a move. */
  expunged: number[];
}

export async function copyMessages(tx: StoreTx, a: CopyArgs): Promise<CopyResult> {
  // Both mailboxes locked in id order, so two opposite moves cannot deadlock.
  const dest0 = await tx.get<{ id: string }>(`SELECT "id" FROM "Mailbox" WHERE "accountId" = $1 AND ${a.to.id ? `"id"` : `"name"`} = $2`, [a.accountId, a.to.id ?? a.to.name]);
  if (!dest0) throw new StoreError("no-mailbox", `no such folder: ${a.to.name ?? a.to.id}`);
  let src: LockedMailbox, dest: LockedMailbox;
  if (a.fromMailboxId < dest0.id) {
    src = await lockMailbox(tx, a.accountId, { id: a.fromMailboxId });
    dest = await lockMailbox(tx, a.accountId, { id: dest0.id });
  } else {
    dest = await lockMailbox(tx, a.accountId, { id: dest0.id });
    src = await lockMailbox(tx, a.accountId, { id: a.fromMailboxId });
  }
  const byUid = a.uids !== undefined;
  const rows = await tx.all<{ id: string; uid: number; size: number; keywords: string }>(
    `SELECT "id", "uid", "size", "keywords" FROM "Message" WHERE "mailboxId" = $1 AND "accountId" = $2 AND ${byUid ? `"uid" ${inList(tx, 3, "int")}` : `"id" ${inList(tx, 3)}`} ORDER BY "uid"`,
    [src.id, a.accountId, byUid ? a.uids! : a.messageIds ?? []],
  );
  if (rows.length === 0) return { uidValidity: dest.uidValidity, toMailboxId: dest.id, mapping: [], expunged: [] };
  if (src.id === dest.id && a.move) return { uidValidity: dest.uidValidity, toMailboxId: dest.id, mapping: [], expunged: [] };
  if (!a.move) {
    const acc = await tx.get<{ quotaBytes: number | string; usedBytes: number | string }>(`SELECT "quotaBytes", "usedBytes" FROM "Account" WHERE "id" = $1`, [a.accountId]);
    const need = rows.reduce((n, r) => n + Number(r.size), 0);
    if (acc && Number(acc.quotaBytes) > 0 && Number(acc.usedBytes) + need > Number(acc.quotaBytes)) {
      throw new StoreError("over-quota", `copying ${rows.length} message(s) would exceed the quota`);
    }
  }
  const { modSeq, firstUid } = await bumpMailbox(tx, dest.id, rows.length);
  const mapping: Array<[number, number]> = [];
  let uid = firstUid;
  for (const r of rows) {
    const id = createId();
    await tx.run(
      `INSERT INTO "Message" ("id", "mailboxId", "accountId", "uid", "modSeq", "blobHash", "size", "internalDate", "seen", "answered", "flagged", "deleted", "draft", "keywords",
        "fromAddress", "fromName", "toAddresses", "ccAddresses", "subject", "sentDate", "messageIdHeader", "inReplyTo", "references", "snippet", "hasAttachments", "threadId", "queueId")
       SELECT $1, $2, "accountId", $3, $4, "blobHash", "size", "internalDate", "seen", "answered", "flagged", "deleted", "draft", "keywords",
        "fromAddress", "fromName", "toAddresses", "ccAddresses", "subject", "sentDate", "messageIdHeader", "inReplyTo", "references", "snippet", "hasAttachments", "threadId", "queueId"
       FROM "Message" WHERE "id" = $5`,
      [id, dest.id, uid, modSeq, r.id],
    );
    const kw = r.keywords ? r.keywords.split(" ") : [];
    if (kw.length) {
      await writeKeywordIndex(tx, dest.id, id, kw, []);
      await rememberKeywords(tx, dest.id, kw);
    }
    mapping.push([Number(r.uid), uid]);
    uid++;
  }
  await recordChange(tx, { accountId: a.accountId, mailboxId: dest.id, modSeq, kind: "append", uids: mapping.map((m) => m[1]) });
  let expunged: number[] = [];
  if (a.move) expunged = (await expungeLocked(tx, a.accountId, src.id, { messageIds: rows.map((r) => r.id), onlyDeleted: false })).uids;
  return { uidValidity: dest.uidValidity, toMailboxId: dest.id, mapping, expunged };
}
