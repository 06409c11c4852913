/** Folders: the special-use set every account starts with (RFC 6154 names). */
import type { Db } from "../db/client";

type Tx = Parameters<Parameters<Db["$transaction"]>[0]>[0];

export const INBOX = "INBOX";

export const DEFAULT_MAILBOXES: ReadonlyArray<{ name: string; specialUse: string }> = [
  { name: INBOX, specialUse: "\\Inbox" },
  { name: "Drafts", specialUse: "\\Drafts" },
  { name: "Sent", specialUse: "\\Sent" },
  { name: "Archive", specialUse: "\\Archive" },
  { name: "Junk", specialUse: "\\Junk" },
  { name: "Trash", specialUse: "\\Trash" },
];

/**
 * A new account's folders, inside the caller's Prisma transaction. Their UIDVALIDITY
 * values come from the installation's counter, like every folder's (ops/mailboxes.ts).
 */
export async function createDefaultMailboxes(tx: Tx | Db, accountId: string): Promise<void> {
  const n = DEFAULT_MAILBOXES.length;
  const rows = await tx.$queryRaw<Array<{ value: bigint | number }>>`UPDATE "StoreCounter" SET "value" = "value" + ${n} WHERE "name" = 'uidvalidity' RETURNING "value"`;
  if (!rows.length) throw new Error("the uidvalidity counter is missing: the database was not migrated");
  const last = Number(rows[0].value);
  await tx.mailbox.createMany({
    data: DEFAULT_MAILBOXES.map((m, i) => ({ accountId, name: m.name, specialUse: m.specialUse, uidValidity: last - n + 1 + i })),
  });
}
