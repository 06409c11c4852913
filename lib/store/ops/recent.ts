/**
 * IMAP4rev1 \Recent (RFC 3501 2.3.2): a message is recent for the first session that is
 * told of it with the mailbox selected read-write, and for no other. The mailbox keeps
 * one number, the highest UID already handed out as recent ("recentUid"); a session
 * claims the UIDs above it (up to the newest it knows of) by raising it, under the
 * mailbox's row lock, so two sessions never both get a message as recent.
 */
import type { StoreTx } from "../tx";
import { lockMailbox } from "./lock";

export interface ClaimRecentArgs {
  accountId: string;
  mailboxId: string;
  /** The highest UID the session knows of: UIDs above the floor up to this one become its own. */
  upTo: number;
}

/** Raises the floor to `upTo`; returns the floor before, so UIDs in (floor, upTo] are \Recent for the caller. */
export async function claimRecent(tx: StoreTx, a: ClaimRecentArgs): Promise<{ from: number }> {
  await lockMailbox(tx, a.accountId, { id: a.mailboxId });
  const row = await tx.get<{ recentUid: number }>(`SELECT "recentUid" FROM "Mailbox" WHERE "id" = $1`, [a.mailboxId]);
  const from = Number(row?.recentUid ?? 0);
  if (a.upTo > from) await tx.run(`UPDATE "Mailbox" SET "recentUid" = $1 WHERE "id" = $2`, [a.upTo, a.mailboxId]);
  return { from };
}
