/**
 * Counters of failed sign-ins in AuthThrottle, shared by every process (web, SMTP,
 * IMAP). Three kinds of rows, by key prefix:
 * - "ip:<address>"   failures from one client address; the address is locked out at
 *                    AUTH_LOCKOUT_FAILURES (the only thing that ever refuses a sign-in);
 * - "user:<account>" failures against one account from addresses that never signed in
 *                    to it; it only delays those addresses (never refuses: an attacker
 *                    must not be able to lock the owner out, as Dovecot's auth penalty);
 * - "good:<account>:<address>" an address that signed in to the account successfully;
 *                    lockedUntil holds its expiry (failures and firstFailure are unused).
 *
 * Each attempt is counted with one atomic statement before the password is checked, so
 * parallel guesses each count (a read-then-write would let 40 of them count as one);
 * attempts from an address already known good for the account are counted after the
 * check, and only when they fail (authenticate.ts).
 */
import type { Db } from "../db/client";

/** A failure delay never exceeds this (Dovecot caps its penalty at 15 s; 5 s is enough to slow a serial guesser). */
export const MAX_DELAY_MS = 5000;
/** How long an address stays known good for an account after a successful sign-in from it. */
export const KNOWN_GOOD_DAYS = 30;

export const ipKey = (ip: string) => `ip:${ip}`;
export const accountKey = (account: string) => `user:${account}`;
export const goodKey = (account: string, ip: string) => `good:${account}:${ip}`;

export interface Count {
  /** Failures in the current window, this attempt included. */
  failures: number;
  lockedUntil: Date | null;
}

/**
 * Adds one to the key's count in one statement (INSERT … ON CONFLICT DO UPDATE …
 * RETURNING, understood alike by SQLite ≥ 3.35 and PostgreSQL). A count starts again at
 * 1 when its window (from firstFailure) is over, or when its lock has ended.
 */
export async function countAttempt(db: Db, key: string, now: Date, windowStart: Date): Promise<Count> {
  const rows = await db.$queryRaw<{ failures: number | bigint; lockedUntil: Date | string | null }[]>`
    INSERT INTO "AuthThrottle" ("key", "failures", "firstFailure", "lockedUntil") VALUES (${key}, 1, ${now}, NULL)
    ON CONFLICT ("key") DO UPDATE SET
      "failures" = CASE WHEN "AuthThrottle"."lockedUntil" > ${now}
          OR ("AuthThrottle"."lockedUntil" IS NULL AND "AuthThrottle"."firstFailure" > ${windowStart})
        THEN "AuthThrottle"."failures" + 1 ELSE 1 END,
      "firstFailure" = CASE WHEN "AuthThrottle"."lockedUntil" > ${now}
          OR ("AuthThrottle"."lockedUntil" IS NULL AND "AuthThrottle"."firstFailure" > ${windowStart})
        THEN "AuthThrottle"."firstFailure" ELSE ${now} END,
      "lockedUntil" = CASE WHEN "AuthThrottle"."lockedUntil" > ${now} THEN "AuthThrottle"."lockedUntil" ELSE NULL END
    RETURNING "failures", "lockedUntil"`;
  const row = rows[0];
  return { failures: Number(row.failures), lockedUntil: row.lockedUntil === null ? null : new Date(row.lockedUntil) };
}

/**
 * What a sign-in reads before the password check, in one query: the address's count, the
 * account's count and whether the address is known good for the account.
 */
export interface Standing {
  byAddress: Count;
  /** Failures against the account from strangers (0 when it has no row: nothing to clear). */
  accountFailures: number;
  /** Until when the address is known good for the account; null: it is not. */
  goodUntil: Date | null;
}

export async function readStanding(db: Db, ip: string, account: string | null, now: Date): Promise<Standing> {
  const keys = [ipKey(ip), ...(account ? [accountKey(account), goodKey(account, ip)] : [])];
  const rows = await db.authThrottle.findMany({ where: { key: { in: keys } }, select: { key: true, failures: true, lockedUntil: true } });
  const get = (key: string) => rows.find((r) => r.key === key);
  const addr = get(keys[0]);
  const good = account ? get(goodKey(account, ip)) : undefined;
  return {
    byAddress: { failures: addr?.failures ?? 0, lockedUntil: addr?.lockedUntil ?? null },
    accountFailures: account ? get(accountKey(account))?.failures ?? 0 : 0,
    goodUntil: good?.lockedUntil && good.lockedUntil > now ? good.lockedUntil : null,
  };
}

/** Takes back the one attempt countAttempt() counted, when it turned out to be a success. */
export async function uncountAttempt(db: Db, key: string): Promise<void> {
  await db.authThrottle.updateMany({ where: { key, failures: { gt: 0 } }, data: { failures: { decrement: 1 } } });
}

export async function lock(db: Db, key: string, until: Date): Promise<void> {
  await db.authThrottle.updateMany({ where: { key }, data: { lockedUntil: until } });
}

export async function clear(db: Db, key: string): Promise<void> {
  await db.authThrottle.deleteMany({ where: { key } });
}

/**
 * A known-good address's expiry is moved on at most once a day: a mail client signing in
 * many times a day would otherwise write (and fsync) on every sign-in.
 */
export function goodNeedsRefresh(goodUntil: Date | null, now: Date): boolean {
  return !goodUntil || goodUntil.getTime() < now.getTime() + (KNOWN_GOOD_DAYS - 1) * 86_400_000;
}

export async function rememberGood(db: Db, account: string, ip: string, now: Date): Promise<void> {
  const key = goodKey(account, ip);
  const until = new Date(now.getTime() + KNOWN_GOOD_DAYS * 86_400_000);
  await db.authThrottle.upsert({ where: { key }, create: { key, failures: 0, firstFailure: now, lockedUntil: until }, update: { lockedUntil: until } });
}

/**
 * Deletes rows that no longer mean anything: expired known-good addresses, and counts
 * whose window is over and that are not locked (a new attempt would restart them anyway).
 */
export async function prune(db: Db, now: Date, windowStart: Date): Promise<number> {
  const { count } = await db.authThrottle.deleteMany({
    where: {
      OR: [
        { key: { startsWith: "good:" }, lockedUntil: { lt: now } },
        { NOT: { key: { startsWith: "good:" } }, firstFailure: { lt: windowStart }, OR: [{ lockedUntil: null }, { lockedUntil: { lt: now } }] },
      ],
    },
  });
  return count;
}

/** The answer to the n-th failure from one address is delayed n × step. */
export function failureDelay(failures: number, stepMs: number): number {
  return Math.min(Math.max(failures, 0) * stepMs, MAX_DELAY_MS);
}

/**
 * Attempts at an account from addresses that never signed in to it wait once the
 * account has had more failures from such addresses than one address may make: a
 * distributed guesser is slowed, the owner (from a known-good address) is not.
 */
export function strangerDelay(accountFailures: number, perAddressLimit: number, stepMs: number): number {
  return failureDelay(accountFailures - perAddressLimit, stepMs);
}
