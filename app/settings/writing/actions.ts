"use server";

import { revalidatePath } from "next/cache";
import { requireSession } from "@/app/_lib/session";
import { getStore } from "@/lib/web/mail";
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
