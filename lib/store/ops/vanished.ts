/**
 * Retention of expunged UIDs (QRESYNC, RFC 7162 3.2.5.2): ExpungedMessage rows whose
 * expunge is older than the cut-off are dropped, and the mailbox's "vanishedFloor" rises
 * to the highest MODSEQ dropped, so mail-engine/imap/qresync.ts knows from which MODSEQ
 * its list is no longer complete and answers those clients conservatively.
 */
import type { StoreTx } from "../tx";

/** Drops expunged UIDs recorded by journal rows older than `before` (all mailboxes); returns how many rows went. */
export async function pruneVanished(tx: StoreTx, a: { before: Date }): Promise<number> {
  // The MODSEQ of each mailbox's last expunge older than the cut-off becomes its floor.
  await tx.run(
    `UPDATE "Mailbox" SET "vanishedFloor" = x."m" FROM (SELECT "mailboxId", max("modSeq") AS "m" FROM "MailboxChange" WHERE "kind" = 'expunge' AND "createdAt" < $1 GROUP BY "mailboxId") x
     WHERE "Mailbox"."id" = x."mailboxId" AND "Mailbox"."vanishedFloor" < x."m"`,
    [a.before],
  );
  return tx.run(`DELETE FROM "ExpungedMessage" WHERE "modSeq" <= (SELECT "vanishedFloor" FROM "Mailbox" WHERE "Mailbox"."id" = "ExpungedMessage"."mailboxId")`, []);
}
