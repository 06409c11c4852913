/**
 * A domain's DKIM keys (RFC 6376): one 2048-bit RSA key and one Ed25519 key (RFC 8463)
 * per generation, with dated selectors (r202612, e202612) so a new generation never
 * reuses a name that verifiers may have cached.
 *
 * A key's life: active (signs and is published) → rotated out (active = false: no longer
 * signs, still published, so mail signed before the rotation keeps verifying while it is
 * in transit or re-checked) → retired (retiredAt set: left out of the DNS listing; its
 * TXT record can be removed).
 */
import crypto from "node:crypto";
import { promisify } from "node:util";
import type { Db } from "../db/client";
import { normaliseDomain } from "../domain/address";

export type DkimAlgorithm = "rsa-sha256" | "ed25519-sha256";

export interface DkimKeyRow {
  id: string;
  selector: string;
  algorithm: string;
  privateKey: string;
  publicKey: string;
  active: boolean;
  createdAt: Date;
  retiredAt: Date | null;
}

export class DkimKeyError extends Error {}

const generateKeyPair = promisify(crypto.generateKeyPair);

/** RFC 6376 3.3.3: verifiers must accept 512-2048 bits; 2048 is what large receivers expect. */
export const RSA_BITS = 2048;

interface NewKey {
  algorithm: DkimAlgorithm;
  privateKey: string;
  /** The p= value: base64 of the SubjectPublicKeyInfo (RSA, RFC 6376 3.6.1) or of the raw 32-octet key (Ed25519, RFC 8463 4.2). */
  publicKey: string;
}

async function newKey(algorithm: DkimAlgorithm): Promise<NewKey> {
  if (algorithm === "rsa-sha256") {
    const { privateKey, publicKey } = await generateKeyPair("rsa", { modulusLength: RSA_BITS });
    return { algorithm, privateKey: privateKey.export({ type: "pkcs8", format: "pem" }) as string, publicKey: publicKey.export({ type: "spki", format: "der" }).toString("base64") };
  }
  const { privateKey, publicKey } = await generateKeyPair("ed25519");
  // The SPKI of an Ed25519 key is a fixed 12-octet prefix and the raw key.
  const raw = publicKey.export({ type: "spki", format: "der" }).subarray(-32);
  return { algorithm, privateKey: privateKey.export({ type: "pkcs8", format: "pem" }) as string, publicKey: raw.toString("base64") };
}

/** "r" or "e", the year and month; a letter is added when that name is taken (a second rotation within a month). */
export function datedSelector(algorithm: DkimAlgorithm, now: Date, taken: Set<string>): string {
  const base = `${algorithm === "rsa-sha256" ? "r" : "e"}${now.getUTCFullYear()}${String(now.getUTCMonth() + 1).padStart(2, "0")}`;
  if (!taken.has(base)) return base;
  for (let c = 98; c <= 122; c++) {
    const s = `${base}${String.fromCharCode(c)}`;
    if (!taken.has(s)) return s;
  }
  throw new DkimKeyError(`too many DKIM keys made in one month (${base}b-z are taken); retire and remove old ones first`);
}

async function domainId(db: Db, name: string): Promise<{ id: string; name: string }> {
  const domain = normaliseDomain(name);
  const row = domain ? await db.domain.findUnique({ where: { name: domain }, select: { id: true, name: true } }) : null;
  if (!row) throw new DkimKeyError(`domain ${name} does not exist`);
  return row;
}

/**
 * Makes a new RSA and Ed25519 key for the domain and makes them the signing keys; the
 * keys that signed until now stay published (rotation). Returns the new selectors.
 */
export async function rotateDkimKeys(db: Db, name: string, now = new Date()): Promise<DkimKeyRow[]> {
  const d = await domainId(db, name);
  const keys = await Promise.all([newKey("rsa-sha256"), newKey("ed25519-sha256")]);
  const existing = await db.dkimKey.findMany({ where: { domainId: d.id }, select: { selector: true } });
  const taken = new Set(existing.map((k) => k.selector));
  const rows = keys.map((k) => {
    const selector = datedSelector(k.algorithm, now, taken);
    taken.add(selector);
    return { domainId: d.id, selector, algorithm: k.algorithm, privateKey: k.privateKey, publicKey: k.publicKey, active: true, createdAt: now };
  });
  const created = await db.$transaction(async (tx) => {
    await tx.dkimKey.updateMany({ where: { domainId: d.id, active: true }, data: { active: false } });
    const out: DkimKeyRow[] = [];
    for (const r of rows) out.push(await tx.dkimKey.create({ data: r }));
    return out;
  });
  signingKeys.get(db)?.delete(d.name);
  return created;
}

/**
 * Retires keys that no longer sign: the given selector, or every rotated-out key. An
 * active key cannot be retired (rotate first), so the domain never loses its signature.
 */
export async function retireDkimKeys(db: Db, name: string, selector?: string, now = new Date()): Promise<string[]> {
  const d = await domainId(db, name);
  const where = { domainId: d.id, retiredAt: null, ...(selector ? { selector } : { active: false }) };
  const rows = await db.dkimKey.findMany({ where, select: { id: true, selector: true, active: true } });
  if (selector && rows.length === 0) throw new DkimKeyError(`${d.name} has no published DKIM key with selector ${selector}`);
  const active = rows.find((r) => r.active);
  if (active) throw new DkimKeyError(`${active.selector} still signs the mail of ${d.name}; run mailctl domain dkim rotate ${d.name} first`);
  await db.dkimKey.updateMany({ where: { id: { in: rows.map((r) => r.id) } }, data: { retiredAt: now } });
  return rows.map((r) => r.selector);
}

/** Every key of a domain, newest first. */
export async function listDkimKeys(db: Db, name: string): Promise<DkimKeyRow[]> {
  const d = await domainId(db, name);
  return db.dkimKey.findMany({ where: { domainId: d.id }, orderBy: [{ createdAt: "desc" }, { selector: "asc" }] });
}

/**
 * How long the signing keys of a domain are kept in memory: the queue signs every message,
 * and a database query each would cost more than the signature. A rotation made in this
 * process applies at once; one made by mailctl (another process) within this time.
 */
export const SIGNING_KEYS_TTL_MS = 30_000;
const signingKeys = new WeakMap<Db, Map<string, { expires: number; keys: Promise<DkimKeyRow[]> }>>();

/** The keys that sign a domain's mail now, looked up by domain name. */
export function activeDkimKeys(db: Db, domain: string): Promise<DkimKeyRow[]> {
  let byDomain = signingKeys.get(db);
  if (!byDomain) signingKeys.set(db, (byDomain = new Map()));
  const now = Date.now();
  const hit = byDomain.get(domain);
  if (hit && hit.expires > now) return hit.keys;
  const keys = db.dkimKey.findMany({ where: { active: true, retiredAt: null, domain: { name: domain } }, orderBy: { selector: "asc" } });
  byDomain.set(domain, { expires: now + SIGNING_KEYS_TTL_MS, keys });
  keys.catch(() => byDomain.delete(domain));
  return keys;
}

/** Every domain's published (unretired) keys without their private halves, by domain id: for listing records. */
export async function publishedDkimKeys(db: Db): Promise<Map<string, Pick<DkimKeyRow, "selector" | "algorithm" | "publicKey" | "active">[]>> {
  const rows = await db.dkimKey.findMany({
    where: { retiredAt: null },
    select: { domainId: true, selector: true, algorithm: true, publicKey: true, active: true },
    orderBy: [{ createdAt: "desc" }, { selector: "asc" }],
  });
  const out = new Map<string, Pick<DkimKeyRow, "selector" | "algorithm" | "publicKey" | "active">[]>();
  for (const { domainId, ...k } of rows) out.set(domainId, [...(out.get(domainId) ?? []), k]);
  return out;
}

/** The DKIM key record's text (RFC 6376 3.6.1; k=ed25519 from RFC 8463 4.2). */
export function dkimTxt(key: Pick<DkimKeyRow, "algorithm" | "publicKey">): string {
  return `v=DKIM1; k=${key.algorithm === "ed25519-sha256" ? "ed25519" : "rsa"}; p=${key.publicKey}`;
}
