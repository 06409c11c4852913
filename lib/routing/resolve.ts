/**
 * Where a recipient address goes. For a local domain: an alias (followed up to
 * MAX_DEPTH hops), an account, the account without its +tag, then the domain's
 * catch-all. Alias destinations on other domains are forwarded (outbound queue).
 */
import type { Db } from "../db/client";
import { catchAllKey, parseAddress, stripPlusTag, type ParsedAddress } from "../domain/address";

export interface LocalAccount {
  id: string;
  email: string;
  quotaBytes: bigint;
  usedBytes: bigint;
}

export type Resolution =
  | { kind: "local"; accounts: LocalAccount[]; forwards: string[] }
  | { kind: "unknown" }
  | { kind: "disabled" }
  | { kind: "remote"; address: string }
  | { kind: "invalid" };

const MAX_DEPTH = 5;
const accountSelect = { id: true, email: true, quotaBytes: true, usedBytes: true, disabled: true } as const;

/** The three reads resolution needs; Prisma by default, prepared statements on the engine's SQLite fast path. */
export interface DirectoryLookup {
  domainExists(name: string): Promise<boolean>;
  aliasDestinations(address: string): Promise<string[]>;
  account(email: string): Promise<(LocalAccount & { disabled: boolean }) | null>;
}

export function prismaLookup(db: Db): DirectoryLookup {
  return {
    domainExists: async (name) => (await db.domain.count({ where: { name } })) > 0,
    aliasDestinations: async (address) => (await db.alias.findMany({ where: { address }, select: { destination: true } })).map((a) => a.destination),
    account: (email) => db.account.findUnique({ where: { email }, select: accountSelect }),
  };
}

export async function resolveRecipient(db: Db | DirectoryLookup, address: string): Promise<Resolution> {
  const look: DirectoryLookup = "domainExists" in db ? db : prismaLookup(db);
  const addr = parseAddress(address);
  if (!addr) return { kind: "invalid" };
  if (!(await look.domainExists(addr.domain))) return { kind: "remote", address: addr.address };
  const accounts = new Map<string, LocalAccount>();
  const forwards = new Set<string>();
  let sawDisabled = false;

  const expand = async (a: ParsedAddress, depth: number, seen: Set<string>): Promise<boolean> => {
    if (seen.has(a.address) || depth > MAX_DEPTH) return false;
    seen.add(a.address);
    if (depth > 0 && !(await look.domainExists(a.domain))) {
      forwards.add(a.address);
      return true;
    }
    const exact = async (x: ParsedAddress): Promise<boolean> => {
      const aliases = await look.aliasDestinations(x.address);
      if (aliases.length) {
        let any = false;
        for (const dest of aliases) {
          const d = parseAddress(dest);
          if (d && (await expand(d, depth + 1, seen))) any = true;
        }
        return any;
      }
      const acc = await look.account(x.address);
      if (!acc) return false;
      if (acc.disabled) {
        sawDisabled = true;
        return false;
      }
      accounts.set(acc.id, acc);
      return true;
    };
    if (await exact(a)) return true;
    const base = stripPlusTag(a);
    if (base && (await exact(base))) return true;
    const catchAll = await look.aliasDestinations(catchAllKey(a.domain));
    let any = false;
    for (const dest of catchAll) {
      const d = parseAddress(dest);
      if (d && d.address !== a.address && (await expand(d, depth + 1, seen))) any = true;
    }
    return any;
  };

  if (await expand(addr, 0, new Set())) return { kind: "local", accounts: [...accounts.values()], forwards: [...forwards] };
  return sawDisabled ? { kind: "disabled" } : { kind: "unknown" };
}

/** Addresses an account may send as: its own (with any +tag) and every alias that delivers to it. */
export async function mayUseSender(db: Db, account: { email: string }, address: string): Promise<boolean> {
  const addr = parseAddress(address);
  if (!addr) return false;
  const own = addr.address === account.email || stripPlusTag(addr)?.address === account.email;
  if (own) return true;
  const candidates = [addr.address, stripPlusTag(addr)?.address].filter((x): x is string => !!x);
  const alias = await db.alias.findFirst({ where: { address: { in: candidates }, destination: account.email } });
  return alias !== null;
}
