"use server";

import { notFound, redirect } from "next/navigation";
import { requireSession } from "@/app/_lib/session";
import { getStore, isMessageId } from "@/lib/web/mail";
import { findFolder, getMessage } from "@/lib/store/read";
import { isStoreError } from "@/lib/store/errors";
import { matchingIds } from "@/lib/web/search";
import { applyBulk, applyUndo, OrganiseError, type Undo } from "@/lib/web/organise";
import { z } from "zod";
import { folderHref, messageHref } from "@/lib/web/format";
import { addImageSender, removeImageSender } from "@/lib/web/image-senders";

/** "Mark as unread" on an open message: clears \Seen and goes back to its folder. */
export async function markUnreadAction(formData: FormData): Promise<void> {
  const account = await requireSession();
  const id = String(formData.get("id") ?? "");
  if (!isMessageId(id)) notFound();
  const { db, mail } = await getStore();
  const message = await getMessage(db, account.id, id);
  if (!message) notFound();
  await mail.setSeen(account.id, message.id, false);
  redirect(folderHref(message.mailboxName));
}

/**
 * Marks a message read: called by the message view (components/mail/mark-read.tsx) once
 * the message is on screen, never by rendering it, so a GET changes nothing. Returns
 * whether the flag changed (false when it was already read or is not the account's).
 */
export async function markReadAction(id: string): Promise<boolean> {
  const account = await requireSession();
  if (typeof id !== "string" || !isMessageId(id)) return false;
  const { mail } = await getStore();
  return mail.setSeen(account.id, id, true);
}

const ID = z.string().regex(/^[a-z0-9_-]{1,64}$/i);
const TARGETS = z.union([
  z.object({ ids: z.array(ID).min(1).max(100_000) }),
  // "Select all N matching": the query is run again here, for this account.
  z.object({ query: z.string().max(2000) }),
]);
const ACTION = z.union([z.enum(["read", "unread", "star", "unstar", "archive", "trash", "junk", "notjunk"]), z.object({ move: z.string().min(1).max(1000) })]);
const GROUPS = z.array(z.object({ mailboxId: ID, ids: z.array(ID).max(100_000) })).max(10_000);
const UNDO = z.union([
  z.object({ kind: z.literal("flags"), mode: z.enum(["add", "remove"]), flag: z.enum(["seen", "flagged"]), groups: GROUPS }),
  z.object({ kind: z.literal("move"), groups: z.array(z.object({ mailboxId: ID, ids: z.array(ID).max(100_000), back: ID })).max(10_000) }),
]);

export type ActionOutcome = { ok: true; count: number; undo: Undo | null } | { ok: false; error: string };

/**
 * A bulk action from the list, the search results or an open message: read/unread,
 * star, archive, delete to Trash, junk/not junk, move. Returns the undo for the toast.
 */
export async function bulkAction(targets: unknown, action: unknown): Promise<ActionOutcome> {
  const account = await requireSession();
  const t = TARGETS.safeParse(targets);
  const a = ACTION.safeParse(action);
  if (!t.success || !a.success) return { ok: false, error: "That request was not understood." };
  const { mail } = await getStore();
  try {
    const resolved = "ids" in t.data ? { ids: t.data.ids } : { byFolder: await matchingIds(mail, account.id, t.data.query) };
    const r = await applyBulk(mail, account.id, resolved, a.data);
    return { ok: true, count: r.count, undo: r.undo };
  } catch (err) {
    if (err instanceof OrganiseError) return { ok: false, error: err.message };
    throw err;
  }
}

/** Reverts what bulkAction returned (the toast's Undo, or `z`). */
export async function undoAction(undo: unknown): Promise<ActionOutcome> {
  const account = await requireSession();
  const u = UNDO.safeParse(undo);
  if (!u.success) return { ok: false, error: "That request was not understood." };
  const { mail } = await getStore();
  return { ok: true, count: await applyUndo(mail, account.id, u.data), undo: null };
}

const FOLDER_NAME = z
  .string()
  .trim()
  .min(1)
  .max(200)
  // The hierarchy separator may not start, end or double (an empty level); no control characters.
  .refine((s) => !/^\/|\/$|\/\//.test(s) && !/[\u0000-\u001f\u007f%*]/.test(s), "not a folder name");

export type FolderOutcome = { ok: true; name: string } | { ok: false; error: string };

async function folderChange(run: () => Promise<unknown>, name: string): Promise<FolderOutcome> {
  try {
    await run();
    return { ok: true, name };
  } catch (err) {
    if (isStoreError(err)) return { ok: false, error: err.message };
    throw err;
  }
}

/** New folder; "Parent/Child" nests (the parents are made as needed). */
export async function createFolderAction(name: unknown): Promise<FolderOutcome> {
  const account = await requireSession();
  const n = FOLDER_NAME.safeParse(name);
  if (!n.success) return { ok: false, error: "Folder names may not be empty, start or end with “/”, or contain % or *." };
  const { mail } = await getStore();
  return folderChange(() => mail.createMailbox({ accountId: account.id, name: n.data }), n.data);
}

/** Rename or move (a new parent path moves it, with its subfolders); special-use folders stay. */
export async function renameFolderAction(from: unknown, to: unknown): Promise<FolderOutcome> {
  const account = await requireSession();
  const f = FOLDER_NAME.safeParse(from);
  const n = FOLDER_NAME.safeParse(to);
  if (!f.success || !n.success) return { ok: false, error: "Folder names may not be empty, start or end with “/”, or contain % or *." };
  const { db, mail } = await getStore();
  const box = await findFolder(db, account.id, f.data);
  if (!box) return { ok: false, error: "There is no such folder." };
  if (box.specialUse) return { ok: false, error: "Inbox, Drafts, Sent, Archive, Junk and Trash cannot be renamed." };
  return folderChange(() => mail.renameMailbox({ accountId: account.id, from: box.name, to: n.data }), n.data);
}

/** Deletes one of the user's own folders with its messages (the page asks first). */
export async function deleteFolderAction(name: unknown): Promise<FolderOutcome> {
  const account = await requireSession();
  const f = FOLDER_NAME.safeParse(name);
  if (!f.success) return { ok: false, error: "There is no such folder." };
  const { db, mail } = await getStore();
  const box = await findFolder(db, account.id, f.data);
  if (!box) return { ok: false, error: "There is no such folder." };
  if (box.specialUse) return { ok: false, error: "Inbox, Drafts, Sent, Archive, Junk and Trash cannot be deleted." };
  return folderChange(() => mail.deleteMailbox({ accountId: account.id, name: box.name }), box.name);
}

/** The message named by a form's "id" field, the session's own, or a 404. */
async function ownMessage(formData: FormData) {
  const account = await requireSession();
  const id = String(formData.get("id") ?? "");
  if (!isMessageId(id)) notFound();
  const { db } = await getStore();
  const message = await getMessage(db, account.id, id);
  if (!message) notFound();
  return { account, db, message };
}

/** "Always show images from this sender" on an open message: lists its From address, then shows the message with its images. */
export async function alwaysShowImagesAction(formData: FormData): Promise<void> {
  const { account, db, message } = await ownMessage(formData);
  await addImageSender(db, account.id, message.fromAddress);
  redirect(`${messageHref(message.mailboxName, message.id)}?images=1`);
}

/** "Stop showing images from this sender": off the list; the message is shown blocked again. */
export async function stopShowingImagesAction(formData: FormData): Promise<void> {
  const { account, db, message } = await ownMessage(formData);
  await removeImageSender(db, account.id, message.fromAddress);
  redirect(messageHref(message.mailboxName, message.id));
}
