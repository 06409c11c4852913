/**
 * COPY and MOVE (RFC 3501 6.4.7, RFC 6851, RFC 4315 COPYUID): the destination gets the
 * messages under new UIDs, in source UID order, with their flags, keywords and internal
 * dates, sharing the same blob. A copy inserts new rows (one statement for all of them);
 * a move re-files the rows themselves (move.ts), expunging them from the source in the
 * same transaction.
 */
import { createId } from "../../domain/ids";
import { StoreError } from "../errors";
import { recordChange } from "../journal";
import { inList, type StoreTx } from "../tx";
import { moveRows, type SourceRow } from "./move";
import { insertKeywordIndex, rememberKeywords } from "./flags";
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
  /** The new messages' ids, in the order of `mapping`. */
  messageIds: string[];
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
  const rows = await tx.all<SourceRow>(
    `SELECT "id", "uid", "size", "seen", "keywords" FROM "Message" WHERE "mailboxId" = $1 AND "accountId" = $2 AND ${byUid ? `"uid" ${inList(tx, 3, "int")}` : `"id" ${inList(tx, 3)}`} ORDER BY "uid"`,
    [src.id, a.accountId, byUid ? a.uids! : a.messageIds ?? []],
  );
  if (rows.length === 0 || (src.id === dest.id && a.move)) return { uidValidity: dest.uidValidity, toMailboxId: dest.id, mapping: [], messageIds: [], expunged: [] };
  if (a.move) return moveRows(tx, a.accountId, src, dest, rows);
  const acc = await tx.get<{ quotaBytes: number | string; usedBytes: number | string }>(`SELECT "quotaBytes", "usedBytes" FROM "Account" WHERE "id" = $1`, [a.accountId]);
  const need = rows.reduce((n, r) => n + Number(r.size), 0);
  if (acc && Number(acc.quotaBytes) > 0 && Number(acc.usedBytes) + need > Number(acc.quotaBytes)) {
    throw new StoreError("over-quota", `copying ${rows.length} message(s) would exceed the quota`);
  }
  const { modSeq, firstUid } = await bumpMailbox(tx, dest.id, rows.length);
  const mapping: Array<[number, number]> = rows.map((r, i) => [Number(r.uid), firstUid + i]);
  const ids = rows.map(() => createId());
  const newRows = triples(tx, 3, rows.map((r, i) => [r.id, ids[i], mapping[i][1]]));
  // One statement for all the rows (a thousand-message copy is one INSERT, not a thousand).
  await tx.run(
    `INSERT INTO "Message" ("id", "mailboxId", "accountId", "uid", "modSeq", ${COPIED.join(", ")})
     SELECT n."id", $1, m."accountId", n."uid", $2, ${COPIED.map((c) => `m.${c}`).join(", ")}
     FROM ${newRows.sql} JOIN "Message" m ON m."id" = n."src"`,
    [dest.id, modSeq, ...newRows.params],
  );
  const kwRows: Array<[string, string]> = [];
  const kwAll = new Set<string>();
  rows.forEach((r, i) => {
    for (const k of r.keywords ? r.keywords.split(" ") : []) {
      kwRows.push([ids[i], k]);
      kwAll.add(k);
    }
  });
  if (kwRows.length) {
    await insertKeywordIndex(tx, dest.id, kwRows);
    await rememberKeywords(tx, dest.id, [...kwAll]);
  }
  await recordChange(tx, { accountId: a.accountId, mailboxId: dest.id, modSeq, kind: "append", uids: mapping.map((m) => m[1]) });
  return { uidValidity: dest.uidValidity, toMailboxId: dest.id, mapping, messageIds: ids, expunged: [] };
}

/** The columns a copy takes from its source row unchanged. */
const COPIED = [
  "blobHash", "size", "internalDate", "seen", "answered", "flagged", "deleted", "draft", "keywords", "fromAddress", "fromName", "toAddresses", "ccAddresses",
  "subject", "sentDate", "messageIdHeader", "inReplyTo", "references", "snippet", "hasAttachments", "threadId", "queueId", "sortFrom", "sortSubject", "fromExtra",
].map((c) => `"${c}"`);

/** [source id, new id, new UID] for each copy as a table n("src", "id", "uid"), its parameters from $n on. */
function triples(tx: StoreTx, n: number, list: Array<[string, string, number]>): { sql: string; params: unknown[] } {
  if (tx.dialect === "sqlite") {
    // One JSON array of triples: one pass of json_each (joining three would be quadratic).
    return { sql: `(SELECT j.value ->> 0 AS "src", j.value ->> 1 AS "id", j.value ->> 2 AS "uid" FROM json_each($${n}) j) n`, params: [list] };
  }
  return { sql: `unnest($${n}::text[], $${n + 1}::text[], $${n + 2}::integer[]) AS n("src", "id", "uid")`, params: [list.map((t) => t[0]), list.map((t) => t[1]), list.map((t) => t[2])] };
}
