/**
 * "Always show images from this sender": the account's list of From addresses whose
 * messages open with their remote images (RemoteImageSender rows). Every function takes
 * the session's account id, so one account never reads or changes another's list.
 *
 * The From address is what the message says, so a forger who knows an address on the
 * list gets their images loaded too (they learn that and when the message was read,
 * nothing more: scripts and remote styles stay blocked whatever the list says).
 */
import type { Db } from "@/lib/db/client";

const MAX_ADDRESS = 320;

/** The address as the list keys it (lower-case, trimmed), or null when it is not one. */
export function senderKey(address: string | null | undefined): string | null {
  const a = (address ?? "").trim().toLowerCase();
  return a.length > 0 && a.length <= MAX_ADDRESS && /^[^\s@]+@[^\s@]+$/.test(a) ? a : null;
}

export async function isImageSender(db: Db, accountId: string, address: string | null | undefined): Promise<boolean> {
  const key = senderKey(address);
  if (!key) return false;
  return (await db.remoteImageSender.findUnique({ where: { accountId_address: { accountId, address: key } }, select: { address: true } })) !== null;
}

/** Adds the sender (nothing when listed already); false when the address is not one. */
export async function addImageSender(db: Db, accountId: string, address: string | null | undefined): Promise<boolean> {
  const key = senderKey(address);
  if (!key) return false;
  await db.remoteImageSender.upsert({ where: { accountId_address: { accountId, address: key } }, create: { accountId, address: key }, update: {} });
  return true;
}

export async function removeImageSender(db: Db, accountId: string, address: string | null | undefined): Promise<void> {
  const key = senderKey(address);
  if (key) await db.remoteImageSender.deleteMany({ where: { accountId, address: key } });
}

export async function listImageSenders(db: Db, accountId: string): Promise<{ address: string; createdAt: Date }[]> {
  return db.remoteImageSender.findMany({ where: { accountId }, orderBy: { address: "asc" }, select: { address: true, createdAt: true } });
}
