/**
 * "Always show images from this sender": the account's list of From addresses whose
 * messages open with their remote images (RemoteImageSender rows). Every function takes
 * the session's account id, so one account never reads or changes another's list.
 *
 * The From address is what the message says, so the list applies only to messages whose
 * From the MX authenticated: mail checked on arrival carries our Authentication-Results
 * (mail-engine/smtp/authentication.ts) and must say dmarc=pass; mail that was not checked
 * (submission, local delivery, TRUSTED_NETWORKS) carries none of ours and counts as
 * authentic. A forger of a listed address gets the usual blocked notice.
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

/**
 * Whether the From of this message was authenticated on arrival: the first
 * Authentication-Results field under our host name (RFC 8601; the MX removes forged ones
 * and puts its own on top) says dmarc=pass, or there is none because the message was not
 * checked. Reads the header section only.
 */
export function fromAuthenticated(raw: Buffer, hostname: string): boolean {
  let end = raw.indexOf("\r\n\r\n");
  if (end < 0) end = raw.indexOf("\n\n");
  const header = raw.subarray(0, end < 0 ? raw.length : end).toString("latin1");
  const host = hostname.toLowerCase();
  for (const field of header.split(/\r?\n(?![ \t])/)) {
    const m = /^authentication-results[ \t]*:\s*(?:\([^)]*\)\s*)?([^;\s(]+)([\s\S]*)$/i.exec(field);
    if (m && m[1].toLowerCase() === host) return /(^|[;\s])dmarc\s*=\s*pass\b/i.test(m[2]);
  }
  return true;
}
