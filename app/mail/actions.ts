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
