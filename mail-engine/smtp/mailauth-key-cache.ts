/**
 * mailauth turns a DKIM or ARC key record into a key object for every signature it checks
 * (tools.getPublicKey: createPublicKey from PEM, then an export back to PEM); measured
 * under the smtp-inbound bench, that was 15% of the MX's main thread, the largest single
 * cost of the checks. This keeps each looked-up key for as long as the DNS answers are
 * kept (DNS_CACHE_SECONDS), as a caching resolver would keep the record.
 *
 * mailauth's verifiers take getPublicKey from its tools module when they are loaded, so
 * the wrapper must be in place first: install() runs before mailauth is imported. With a
 * mailauth whose tools module differs (the version is pinned in package.json), it does
 * nothing and the checks run uncached.
 */
import { createRequire } from "node:module";

type GetPublicKey = (type: string, name: string, minBitLength: number, resolver: unknown) => Promise<unknown>;

const MAX_KEYS = 10_000;
let installed = false;

export function installKeyCache(ttlMs: number): void {
  if (installed || ttlMs <= 0) return;
  installed = true;
  const tools = createRequire(import.meta.url)("mailauth/lib/tools") as { getPublicKey?: GetPublicKey };
  const original = tools.getPublicKey;
  if (typeof original !== "function") return;
  const cache = new Map<string, { expires: number; key: Promise<unknown> }>();
  tools.getPublicKey = (type, name, minBitLength, resolver) => {
    const id = `${type} ${String(name).toLowerCase()} ${minBitLength}`;
    const now = Date.now();
    const hit = cache.get(id);
    if (hit && hit.expires > now) return hit.key;
    const key = original(type, name, minBitLength, resolver);
    if (cache.size >= MAX_KEYS) cache.clear();
    cache.set(id, { expires: now + ttlMs, key });
    // Only good keys are kept: a failed look-up or a bad record is tried again next time.
    key.catch(() => cache.delete(id));
    return key;
  };
}
