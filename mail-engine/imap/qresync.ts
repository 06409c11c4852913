/**
 * QRESYNC (RFC 7162 3.2): what a client that was away must learn of expunges. The store
 * keeps each expunged UID with the MODSEQ of its expunge (ExpungedMessage) until the
 * retention drops it and raises the mailbox's "vanishedFloor"; a client asking about
 * changes since a MODSEQ at or above the floor gets the exact list, one asking from below
 * it gets every UID of its range that is not in the mailbox now (RFC 7162 3.2.5.2 allows
 * this conservative answer: VANISHED may name UIDs the client never knew).
 */
import type { Session } from "./session";
import { inRanges, lowerBound, type Range } from "./parser/sequence";
import { toSequenceSet } from "../../lib/store/sequence-set";

/** The UIDs in `ranges` (every UID when null) expunged after MODSEQ `since`, as a sequence set ("" for none). */
export async function vanishedSince(s: Session, mailboxId: string, since: bigint, ranges: Range[] | null): Promise<string> {
  const db = s.ctx.db;
  const mb = await db.mailbox.findFirst({ where: { id: mailboxId, accountId: s.account!.id }, select: { vanishedFloor: true, uidNext: true } });
  if (!mb) return "";
  if (since >= mb.vanishedFloor) {
    const rows = await db.expungedMessage.findMany({ where: { mailboxId, modSeq: { gt: since } }, select: { uid: true } });
    return toSequenceSet(rows.map((r) => r.uid).filter((u) => !ranges || inRanges(u, ranges)));
  }
  // Conservative: every UID below UIDNEXT in the client's ranges that is not here now.
  const present = (await db.message.findMany({ where: { mailboxId, accountId: s.account!.id }, select: { uid: true }, orderBy: { uid: "asc" } })).map((r) => r.uid);
  const gone: string[] = [];
  for (const [a0, b0] of ranges ?? [[1, mb.uidNext - 1] as Range]) {
    const b = Math.min(b0, mb.uidNext - 1);
    let a = a0;
    // The gaps between present UIDs within [a, b].
    let i = lowerBound(present, a);
    while (a <= b) {
      const next = i < present.length ? present[i] : Infinity;
      if (next > a) {
        const end = Math.min(b, next - 1);
        gone.push(a === end ? String(a) : `${a}:${end}`);
        a = end + 1;
      } else {
        a = next + 1;
        i++;
      }
    }
  }
  return gone.join(",");
}
