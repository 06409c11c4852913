/**
 * The one password check: web sign-in (next-auth), SMTP AUTH and IMAP LOGIN all call
 * authenticate(). Failures are counted in AuthThrottle (shared by every process) twice:
 * per client address ("ip:") and per account name ("user:"). Each failure answers after
 * a growing delay. After AUTH_LOCKOUT_FAILURES from one address, that address is locked
 * out for AUTH_LOCKOUT_MINUTES; after ACCOUNT_LOCKOUT_FACTOR times as many against one
 * account from any addresses, the account's sign-ins are, so an attacker who rotates
 * addresses (or forges X-Forwarded-For) still gets only a bounded number of guesses.
 */
import type { Db } from "../db/client";
import type { Config } from "../config";
import { parseAddress } from "../domain/address";
import { decoyHash, verifyPassword } from "./password";

export type AuthFailure = "invalid" | "locked" | "disabled";

export class AuthError extends Error {
  constructor(
    readonly reason: AuthFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface AuthenticatedAccount {
  id: string;
  email: string;
  role: string;
  displayName: string;
}

export interface AuthRequest {
  username: string;
  password: string;
  /** The client's IP address, the key of the lock-out. */
  ip: string;
  /** Whether app passwords are accepted (IMAP, SMTP) or only the account password (web). */
  allowAppPasswords: boolean;
}

type ThrottleConfig = Pick<Config, "authLockoutFailures" | "authLockoutMinutes" | "authFailureDelayMs">;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An account tolerates this many times the per-address failures before it is locked. */
export const ACCOUNT_LOCKOUT_FACTOR = 3;

export async function authenticate(db: Db, config: ThrottleConfig, req: AuthRequest): Promise<AuthenticatedAccount> {
  const now = new Date();
  const parsed = parseAddress(req.username);
  const keys = [{ key: `ip:${req.ip}`, limit: config.authLockoutFailures, who: `from ${req.ip}` }];
  if (parsed) keys.push({ key: `user:${parsed.address}`, limit: config.authLockoutFailures * ACCOUNT_LOCKOUT_FACTOR, who: `for ${parsed.address}` });
  const rows = new Map((await db.authThrottle.findMany({ where: { key: { in: keys.map((k) => k.key) } } })).map((r) => [r.key, r]));
  for (const k of keys) {
    const lockedUntil = rows.get(k.key)?.lockedUntil;
    if (lockedUntil && lockedUntil > now) throw new AuthError("locked", `too many failed sign-ins ${k.who}; try again after ${lockedUntil.toISOString()}`);
  }

  const account = parsed ? await db.account.findUnique({ where: { email: parsed.address } }) : null;
  let ok = false;
  if (account) {
    ok = await verifyPassword(account.passwordHash, req.password);
    if (!ok && req.allowAppPasswords) {
      const appPasswords = await db.appPassword.findMany({ where: { accountId: account.id } });
      for (const ap of appPasswords) {
        if (await verifyPassword(ap.hash, req.password)) {
          ok = true;
          await db.appPassword.update({ where: { id: ap.id }, data: { lastUsedAt: now } });
          break;
        }
      }
    }
  } else {
    await verifyPassword(await decoyHash(), req.password); // same time whether or not the account exists
  }

  if (ok && account) {
    if (account.disabled) throw new AuthError("disabled", `account ${account.email} is disabled`);
    if (rows.size) await db.authThrottle.deleteMany({ where: { key: { in: [...rows.keys()] }, lockedUntil: null } });
    return { id: account.id, email: account.email, role: account.role, displayName: account.displayName };
  }

  const windowStart = new Date(now.getTime() - config.authLockoutMinutes * 60_000);
  let worst = 0;
  let lock: { until: Date; who: string } | null = null;
  for (const k of keys) {
    const row = rows.get(k.key);
    const failures = row && row.firstFailure > windowStart ? row.failures + 1 : 1;
    const lockedUntil = failures >= k.limit ? new Date(now.getTime() + config.authLockoutMinutes * 60_000) : null;
    const data = { failures, lockedUntil, ...(failures === 1 ? { firstFailure: now } : {}) };
    await db.authThrottle.upsert({ where: { key: k.key }, create: { key: k.key, ...data, firstFailure: now }, update: data });
    if (k.key.startsWith("ip:")) worst = failures;
    if (lockedUntil && !lock) lock = { until: lockedUntil, who: k.who };
  }
  await sleep(Math.min(worst * config.authFailureDelayMs, 5000));
  if (lock) throw new AuthError("locked", `too many failed sign-ins ${lock.who}; locked until ${lock.until.toISOString()}`);
  throw new AuthError("invalid", "wrong user name or password");
}
