/**
 * MOVE (RFC 6851) as the store does it: the rows themselves are re-filed into the
 * destination under its next UIDs (one UPDATE for all of them), so nothing is copied and
 * the blobs' reference counts and the account's used bytes do not change. For IMAP and
 * the journal it is what RFC 6851 describes: the destination gets new UIDs (an append
 * under its new MODSEQ), the source expunges the old ones (ExpungedMessage, VANISHED).
 * The messages keep their ids, so a web page that shows one still finds it.
 *
 * The folders' counters are kept by triggers on insert and delete (0002_store_core); a
 * re-filed row is neither, so the two folders' counters are adjusted here, one UPDATE
 * each.
 */
import { inList, type StoreTx } from "../tx";
import { recordChange } from "../journal";
import { recordExpunged } from "./expunge";
import { rememberKeywords } from "./flags";
import { bumpMailbox, type LockedMailbox } from "./lock";
import type { CopyResult } from "./copy";

export interface SourceRow {
  id: string;
  uid: number;
  size: number | string;
  seen: number | boolean;
  keywords: string;
}

/** Moves `rows` (the source's, in UID order) from `src` to `dest`, both locked by the caller. */
export async function moveRows(tx: StoreTx, accountId: string, src: LockedMailbox, dest: LockedMailbox, rows: SourceRow[]): Promise<CopyResult> {
  const { modSeq, firstUid } = await bumpMailbox(tx, dest.id, rows.length);
  const mapping: Array<[number, number]> = rows.map((r, i) => [Number(r.uid), firstUid + i]);
  const ids = rows.map((r) => r.id);
  const renumbered =
    tx.dialect === "sqlite"
      ? { from: `(SELECT j.value ->> 0 AS "id", j.value ->> 1 AS "uid" FROM json_each($3) j) n`, params: [rows.map((r, i) => [r.id, mapping[i][1]])] }
      : { from: `unnest($3::text[], $4::integer[]) AS n("id", "uid")`, params: [ids, mapping.map((m) => m[1])] };
  await tx.run(`UPDATE "Message" SET "mailboxId" = $1, "uid" = n."uid", "modSeq" = $2 FROM ${renumbered.from} WHERE "Message"."id" = n."id"`, [dest.id, modSeq, ...renumbered.params]);

  const keywords = new Set(rows.flatMap((r) => (r.keywords ? r.keywords.split(" ") : [])));
  if (keywords.size) {
    await tx.run(`UPDATE "MessageKeyword" SET "mailboxId" = $1 WHERE "mailboxId" = $2 AND "messageId" ${inList(tx, 3)}`, [dest.id, src.id, rows.filter((r) => r.keywords).map((r) => r.id)]);
    await rememberKeywords(tx, dest.id, [...keywords]);
  }

  const bytes = rows.reduce((n, r) => n + Number(r.size), 0);
  const unseen = rows.filter((r) => !Number(r.seen)).length;
  const adjust = `UPDATE "Mailbox" SET "messageCount" = "messageCount" + $2, "unseenCount" = "unseenCount" + $3, "totalBytes" = "totalBytes" + $4 WHERE "id" = $1`;
  await tx.run(adjust, [dest.id, rows.length, unseen, bytes]);
  await tx.run(adjust, [src.id, -rows.length, -unseen, -bytes]);

  await recordChange(tx, { accountId, mailboxId: dest.id, modSeq, kind: "append", uids: mapping.map((m) => m[1]) });
  const expunged = mapping.map((m) => m[0]);
  await recordExpunged(tx, accountId, src.id, expunged, async () => undefined);
  return { uidValidity: dest.uidValidity, toMailboxId: dest.id, mapping, messageIds: ids, expunged };
}
