/**
 * Folders: create, rename, delete, subscribe (RFC 3501 6.3). Names are full paths with
 * "/" as the hierarchy separator; "INBOX" is case-insensitive. Every new folder takes
 * its UIDVALIDITY from the installation's counter, so a name deleted and re-created,
 * even within the same second, never shows a client an old UIDVALIDITY with new UIDs.
 */
import { createId } from "../../domain/ids";
import { StoreError } from "../errors";
import { recordChange } from "../journal";
import { INBOX } from "../mailboxes";
import type { StoreTx } from "../tx";
import { copyMessages } from "./copy";
import { lockMailbox } from "./lock";

export const SEPARATOR = "/";
const MAX_NAME = 512;

/** The stored form of a folder name ("INBOX" for any case of it), or a StoreError saying what is wrong. */
export function normaliseMailboxName(name: string): string {
  if (typeof name !== "string" || name.length === 0) throw new StoreError("invalid", "a folder needs a name");
  if (name.toUpperCase() === INBOX) return INBOX;
  if (name.toUpperCase().startsWith(INBOX + SEPARATOR)) name = INBOX + name.slice(INBOX.length);
  if (name.length > MAX_NAME) throw new StoreError("invalid", `folder names are at most ${MAX_NAME} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(name)) throw new StoreError("invalid", "folder names cannot contain control characters");
  if (/[*%]/.test(name)) throw new StoreError("invalid", "folder names cannot contain * or % (IMAP LIST wildcards)");
  const parts = name.split(SEPARATOR);
  if (parts.some((p) => p.length === 0 || p.trim() !== p)) throw new StoreError("invalid", `"${name}" has an empty level or spaces around "${SEPARATOR}"`);
  return name;
}

/** The next UIDVALIDITY of this installation (StoreCounter "uidvalidity"). */
export async function nextUidValidity(tx: StoreTx): Promise<number> {
  const r = await tx.get<{ value: number | string }>(`UPDATE "StoreCounter" SET "value" = "value" + 1 WHERE "name" = 'uidvalidity' RETURNING "value"`);
  if (!r) throw new Error("the uidvalidity counter is missing: the database was not migrated");
  const v = Number(r.value);
  if (v > 0x7fffffff) throw new Error("the uidvalidity counter passed 2^31-1");
  return v;
}

export interface CreateMailboxArgs {
  accountId: string;
  name: string;
  specialUse?: string | null;
  subscribed?: boolean;
}

export interface CreatedMailbox {
  id: string;
  name: string;
  uidValidity: number;
}

/** Creates the folder and any missing parents (RFC 3501 6.3.3). */
export async function createMailbox(tx: StoreTx, a: CreateMailboxArgs): Promise<CreatedMailbox> {
  const name = normaliseMailboxName(a.name);
  const account = await tx.get(`SELECT "id" FROM "Account" WHERE "id" = $1`, [a.accountId]);
  if (!account) throw new StoreError("no-account", `account ${a.accountId} does not exist`);
  const parts = name.split(SEPARATOR);
  let created: CreatedMailbox | null = null;
  for (let i = 1; i <= parts.length; i++) {
    const path = parts.slice(0, i).join(SEPARATOR);
    const exists = await tx.get(`SELECT "id" FROM "Mailbox" WHERE "accountId" = $1 AND "name" = $2`, [a.accountId, path]);
    if (exists) {
      if (i === parts.length) throw new StoreError("exists", `folder ${name} already exists`);
      continue;
    }
    // A name subscribed while it was not a folder is a subscribed folder now (RFC 3501 6.3.6).
    const kept = await tx.run(`DELETE FROM "Subscription" WHERE "accountId" = $1 AND "name" = $2`, [a.accountId, path]);
    created = await insertMailbox(tx, a.accountId, path, i === parts.length ? a.specialUse ?? null : null, kept > 0 || (a.subscribed ?? true));
  }
  return created!;
}

export async function insertMailbox(tx: StoreTx, accountId: string, name: string, specialUse: string | null, subscribed = true): Promise<CreatedMailbox> {
  const id = createId();
  const uidValidity = await nextUidValidity(tx);
  await tx.run(`INSERT INTO "Mailbox" ("id", "accountId", "name", "specialUse", "subscribed", "uidValidity", "uidNext", "highestModSeq", "createdAt") VALUES ($1, $2, $3, $4, $5, $6, 1, 1, $7)`, [
    id, accountId, name, specialUse, subscribed, uidValidity, new Date(),
  ]);
  await recordChange(tx, { accountId, mailboxId: id, modSeq: 1, kind: "mailbox-create" });
  return { id, name, uidValidity };
}

export interface RenameMailboxArgs {
  accountId: string;
  from: string;
  to: string;
}

/**
 * Renames a folder and its children. Renaming INBOX moves all its messages into a new
 * folder of that name and leaves INBOX empty (RFC 3501 6.3.5).
 */
export async function renameMailbox(tx: StoreTx, a: RenameMailboxArgs): Promise<{ id: string; name: string }> {
  const from = normaliseMailboxName(a.from);
  const to = normaliseMailboxName(a.to);
  if (to === INBOX) throw new StoreError("exists", "INBOX already exists");
  if (await tx.get(`SELECT "id" FROM "Mailbox" WHERE "accountId" = $1 AND "name" = $2`, [a.accountId, to])) throw new StoreError("exists", `folder ${to} already exists`);
  if (to.startsWith(from + SEPARATOR)) throw new StoreError("invalid", `cannot move ${from} inside itself`);
  const src = await lockMailbox(tx, a.accountId, { name: from });
  if (from === INBOX) {
    const created = await createMailbox(tx, { accountId: a.accountId, name: to });
    const uids = (await tx.all<{ uid: number }>(`SELECT "uid" FROM "Message" WHERE "mailboxId" = $1`, [src.id])).map((r) => Number(r.uid));
    if (uids.length) await copyMessages(tx, { accountId: a.accountId, fromMailboxId: src.id, uids, to: { id: created.id }, move: true });
    return { id: created.id, name: to };
  }
  const children = await tx.all<{ id: string; name: string }>(`SELECT "id", "name" FROM "Mailbox" WHERE "accountId" = $1 AND substr("name", 1, $3) = $2`, [
    a.accountId, from + SEPARATOR, from.length + 1,
  ]);
  await tx.run(`UPDATE "Mailbox" SET "name" = $2 WHERE "id" = $1`, [src.id, to]);
  await recordChange(tx, { accountId: a.accountId, mailboxId: src.id, modSeq: src.highestModSeq, kind: "mailbox-rename" });
  for (const c of children) {
    const newName = to + c.name.slice(from.length);
    // A parent created for the target path beforehand would collide: refuse rather than merge.
    if (await tx.get(`SELECT "id" FROM "Mailbox" WHERE "accountId" = $1 AND "name" = $2`, [a.accountId, newName])) throw new StoreError("exists", `folder ${newName} already exists`);
    await tx.run(`UPDATE "Mailbox" SET "name" = $2 WHERE "id" = $1`, [c.id, newName]);
    await recordChange(tx, { accountId: a.accountId, mailboxId: c.id, modSeq: 0, kind: "mailbox-rename" });
  }
  // Missing parents of the new name are created, as for CREATE.
  const parts = to.split(SEPARATOR);
  for (let i = 1; i < parts.length; i++) {
    const p = parts.slice(0, i).join(SEPARATOR);
    if (!(await tx.get(`SELECT "id" FROM "Mailbox" WHERE "accountId" = $1 AND "name" = $2`, [a.accountId, p]))) await insertMailbox(tx, a.accountId, p, null);
  }
  return { id: src.id, name: to };
}

/** Deletes a folder and its messages. INBOX and folders with children cannot be deleted (RFC 3501 6.3.4). */
export async function deleteMailbox(tx: StoreTx, a: { accountId: string; name: string }): Promise<{ id: string }> {
  const name = normaliseMailboxName(a.name);
  if (name === INBOX) throw new StoreError("not-allowed", "INBOX cannot be deleted");
  const mb = await lockMailbox(tx, a.accountId, { name });
  const child = await tx.get(`SELECT "id" FROM "Mailbox" WHERE "accountId" = $1 AND substr("name", 1, $3) = $2 LIMIT 1`, [a.accountId, name + SEPARATOR, name.length + 1]);
  if (child) throw new StoreError("not-allowed", `folder ${name} has subfolders; delete them first`);
  const sub = await tx.get<{ subscribed: number | boolean }>(`SELECT "subscribed" FROM "Mailbox" WHERE "id" = $1`, [mb.id]);
  await tx.run(`DELETE FROM "Mailbox" WHERE "id" = $1`, [mb.id]);
  // RFC 3501 6.3.6: the subscription stays when the folder goes.
  if (sub && sub.subscribed && Number(sub.subscribed) !== 0) await tx.run(`INSERT INTO "Subscription" ("accountId", "name") VALUES ($1, $2) ON CONFLICT DO NOTHING`, [a.accountId, name]);
  await recordChange(tx, { accountId: a.accountId, mailboxId: mb.id, modSeq: mb.highestModSeq + 1n, kind: "mailbox-delete" });
  return { id: mb.id };
}

export async function setSubscribed(tx: StoreTx, a: { accountId: string; name: string; subscribed: boolean }): Promise<boolean> {
  const name = normaliseMailboxName(a.name);
  const row = await tx.get<{ id: string; highestModSeq: number | string }>(`UPDATE "Mailbox" SET "subscribed" = $3 WHERE "accountId" = $1 AND "name" = $2 RETURNING "id", "highestModSeq"`, [
    a.accountId, name, a.subscribed,
  ]);
  if (!row) {
    // Not a folder: RFC 3501 6.3.6 lets a name be subscribed all the same (and unsubscribed).
    if (a.subscribed) await tx.run(`INSERT INTO "Subscription" ("accountId", "name") VALUES ($1, $2) ON CONFLICT DO NOTHING`, [a.accountId, name]);
    else if ((await tx.run(`DELETE FROM "Subscription" WHERE "accountId" = $1 AND "name" = $2`, [a.accountId, name])) === 0) throw new StoreError("no-mailbox", `no such folder or subscription: ${name}`);
    return true;
  }
  await recordChange(tx, { accountId: a.accountId, mailboxId: row.id, modSeq: BigInt(row.highestModSeq), kind: "mailbox-update" });
  return true;
}
