/**
 * The From addresses the webmail offers an account (its own address and every alias that
 * delivers to it, as lib/routing's mayUseSender allows) with each one's display name and
 * signature (Identity rows), and the identity settings.
 */
import type { Db } from "../db/client";

export interface FromChoice {
  address: string;
  name: string;
  signature: string;
}

export async function fromChoices(db: Db, account: { id: string; email: string }): Promise<FromChoice[]> {
  const [acc, aliases, identities] = await Promise.all([
    db.account.findUnique({ where: { id: account.id }, select: { displayName: true } }),
    // Catch-alls ("@domain") deliver to the user but name no address to send as.
    db.alias.findMany({ where: { destination: account.email, NOT: { address: { startsWith: "@" } } }, select: { address: true }, orderBy: { address: "asc" } }),
    db.identity.findMany({ where: { accountId: account.id } }),
  ]);
  const byAddress = new Map(identities.map((i) => [i.address, i]));
  const addresses = [account.email, ...aliases.map((a) => a.address).filter((a) => a !== account.email)];
  return [...new Set(addresses)].map((address) => {
    const i = byAddress.get(address);
    return { address, name: i?.displayName || acc?.displayName || "", signature: i?.signature ?? "" };
  });
}

/** Sets the display name and signature of one of the account's From addresses; false when it is not theirs. */
export async function saveIdentity(db: Db, account: { id: string; email: string }, address: string, displayName: string, signature: string): Promise<boolean> {
  const addr = address.trim().toLowerCase();
  if (!(await fromChoices(db, account)).some((c) => c.address === addr)) return false;
  // Browsers submit a textarea's line breaks as CRLF (HTML's form serialisation); stored as LF.
  const data = { displayName: displayName.replace(/[\r\n]+/g, " ").trim().slice(0, 200), signature: signature.replace(/\r\n?/g, "\n").slice(0, 5000) };
  await db.identity.upsert({ where: { accountId_address: { accountId: account.id, address: addr } }, create: { accountId: account.id, address: addr, ...data }, update: data });
  return true;
}

/** Undo send's delay, 0 to 60 seconds. */
export async function saveUndoSeconds(db: Db, accountId: string, seconds: number): Promise<void> {
  const s = Math.max(0, Math.min(60, Math.round(Number.isFinite(seconds) ? seconds : 10)));
  await db.account.update({ where: { id: accountId }, data: { undoSendSeconds: s } });
}
