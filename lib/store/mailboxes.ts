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

/** A UIDVALIDITY value: seconds since the epoch, never reused for a re-created name. */
export function newUidValidity(): number {
  return Math.floor(Date.now() / 1000);
}

export async function createDefaultMailboxes(tx: Tx | Db, accountId: string): Promise<void> {
  const uidValidity = newUidValidity();
  await tx.mailbox.createMany({
    data: DEFAULT_MAILBOXES.map((m) => ({ accountId, name: m.name, specialUse: m.specialUse, uidValidity })),
  });
}
