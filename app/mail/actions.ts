"use server";

import { notFound, redirect } from "next/navigation";
import { requireSession } from "@/app/_lib/session";
import { getStore, isMessageId } from "@/lib/web/mail";
import { getMessage } from "@/lib/store/read";
import { folderHref } from "@/lib/web/format";

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
