/**
 * The Sender Rewriting Scheme (SRS, as libsrs2 and postsrsd write it): mail we forward
 * to another domain leaves with the envelope sender
 *   SRS0=HHHHHH=TT=orig-domain=orig-local@<our domain>
 * so the destination's SPF check (RFC 7208) sees one of our domains, and a bounce comes
 * back to us; we check the hash and age and send it on to orig-local@orig-domain.
 *  - TT: the day (days since 1970, mod 1024) in two base32 characters.
 *  - HHHHHH: HMAC-SHA256 over the lower-cased "TT=domain=local" with the installation's
 *    key, six base32 characters: case does not matter, as MTAs on the way may change it.
 * An address older than MAX_AGE_DAYS, or with a wrong hash, is refused (no backscatter
 * through forged SRS addresses).
 */
import crypto from "node:crypto";
import type { Config } from "../config";
import { dataDirSecret } from "../config/secret-file";
import { normaliseDomain } from "../domain/address";
import { resolveRecipient, type DirectoryLookup, type Resolution } from "./resolve";

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const DAY_MS = 86_400_000;
const TIMESTAMP_SPAN = 1024; // two base32 characters
export const MAX_AGE_DAYS = 21;
const HASH_LENGTH = 6;

/** SRS_SECRET, else a key made once in DATA_DIR/srs-secret: every engine serving a domain must use the same one. */
export function srsKey(config: Pick<Config, "srsSecret" | "dataDir">): string {
  return config.srsSecret ?? dataDirSecret(config.dataDir, "srs-secret");
}

function base32(buf: Buffer, length: number): string {
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of buf) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < length) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    if (out.length >= length) break;
  }
  return out;
}

function timestamp(now: Date): string {
  const day = Math.floor(now.getTime() / DAY_MS) % TIMESTAMP_SPAN;
  return BASE32[day >> 5] + BASE32[day & 31];
}

function hash(key: string, tt: string, domain: string, local: string): string {
  return base32(crypto.createHmac("sha256", key).update(`${tt}=${domain}=${local}`.toLowerCase()).digest(), HASH_LENGTH);
}

/** The SRS0 address for forwarding mail from `sender` (local@domain) through `ourDomain`. */
export function srsEncode(key: string, sender: string, ourDomain: string, now = new Date()): string {
  const at = sender.lastIndexOf("@");
  const local = sender.slice(0, at);
  const domain = sender.slice(at + 1).toLowerCase();
  const tt = timestamp(now);
  return `SRS0=${hash(key, tt, domain, local)}=${tt}=${domain}=${local}@${ourDomain}`;
}

export function isSrsAddress(address: string): boolean {
  return /^srs0=/i.test(address);
}

export type SrsDecoded = { ok: true; address: string } | { ok: false; reason: string };

/** The original sender of an SRS0 address (its local part; the domain is ours), checked. */
export function srsDecode(key: string, address: string, now = new Date()): SrsDecoded {
  const local = address.slice(0, address.lastIndexOf("@"));
  const m = /^srs0=([^=]+)=([^=]{2})=([^=]+)=(.+)$/i.exec(local);
  if (!m) return { ok: false, reason: "not an SRS0 address" };
  const [, h, tt, domain, origLocal] = m;
  const expected = hash(key, tt, domain, origLocal);
  const given = Buffer.from(h.toUpperCase());
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, Buffer.from(expected))) return { ok: false, reason: "bad hash" };
  const day = BASE32.indexOf(tt[0].toUpperCase()) * 32 + BASE32.indexOf(tt[1].toUpperCase());
  const today = Math.floor(now.getTime() / DAY_MS) % TIMESTAMP_SPAN;
  const age = (today - day + TIMESTAMP_SPAN) % TIMESTAMP_SPAN;
  if (age > MAX_AGE_DAYS) return { ok: false, reason: `expired (${age} days old)` };
  return { ok: true, address: `${origLocal}@${domain.toLowerCase()}` };
}

/**
 * Where mail to one of our SRS addresses goes: the original sender, as a local delivery
 * or a forward back out (a bounce has the null sender, so it is not rewritten again);
 * `null` when the address is not an SRS address at a local domain; `srs-invalid` for a
 * forged, tampered or expired one. The MX's RCPT and the queue's DSNs both route by it.
 */
export async function resolveSrsAddress(
  lookup: DirectoryLookup,
  key: string,
  target: string,
): Promise<Resolution | { kind: "srs-invalid"; reason: string } | null> {
  // Not parseAddress: an SRS local part often passes RFC 5321's 64 octets, and MTAs accept it.
  const at = target.lastIndexOf("@");
  const domain = at > 0 ? normaliseDomain(target.slice(at + 1)) : null;
  if (!domain || !isSrsAddress(target) || !(await lookup.domainExists(domain))) return null;
  const decoded = srsDecode(key, target);
  if (!decoded.ok) return { kind: "srs-invalid", reason: decoded.reason };
  const original = await resolveRecipient(lookup, decoded.address);
  if (original.kind === "invalid") return { kind: "srs-invalid", reason: `original address ${decoded.address} is not valid` };
  return original.kind === "remote" ? { kind: "local", accounts: [], forwards: [original.address] } : original;
}
