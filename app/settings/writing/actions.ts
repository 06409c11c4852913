"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { requireSession } from "@/app/_lib/session";
import { getStore, isMessageId } from "@/lib/web/mail";
import { undoSend } from "@/lib/compose/service";
import { log } from "@/lib/log";
import { saveIdentity, saveUndoSeconds } from "@/lib/compose/identities";

/** Display name and signature of one of the signed-in account's From addresses. */
export async function saveIdentityAction(formData: FormData): Promise<void> {
  const account = await requireSession("/settings/writing");
  const { db } = await getStore();
  await saveIdentity(db, account, String(formData.get("address") ?? ""), String(formData.get("displayName") ?? ""), String(formData.get("signature") ?? ""));
  revalidatePath("/settings/writing");
}

/** How many seconds undo send holds a message. */
export async function saveUndoAction(formData: FormData): Promise<void> {
  const account = await requireSession("/settings/writing");
  const { db } = await getStore();
  await saveUndoSeconds(db, account.id, Number(formData.get("undoSendSeconds")));
  revalidatePath("/settings/writing");
}

/** Cancels one of the account's scheduled (or held) sends and opens it as a draft. */
export async function cancelScheduledAction(formData: FormData): Promise<void> {
  const account = await requireSession("/settings/writing");
  const id = String(formData.get("id") ?? "");
  if (!isMessageId(id)) return;
  const { config, db, mail } = await getStore();
  const r = await undoSend({ config, db, store: mail, log: log.child({ proc: "web" }) }, account, id);
  revalidatePath("/settings/writing");
  if (r) redirect(`/mail/compose?draft=${encodeURIComponent(r.draftId)}`);
}
