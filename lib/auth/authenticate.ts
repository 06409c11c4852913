/**
 * The one password check: web sign-in (next-auth), SMTP AUTH and IMAP LOGIN all call
 * authenticate(). Failures from one client address are counted in AuthThrottle (shared
 * by every process); each failure answers after a growing delay, and after
 * AUTH_LOCKOUT_FAILURES the address is locked out for AUTH_LOCKOUT_MINUTES.
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

export async function authenticate(db: Db, config: ThrottleConfig, req: AuthRequest): Promise<AuthenticatedAccount> {
  const key = `ip:${req.ip}`;
  const now = new Date();
  const throttle = await db.authThrottle.findUnique({ where: { key } });
  if (throttle?.lockedUntil && throttle.lockedUntil > now) {
    throw new AuthError("locked", `too many failed sign-ins from ${req.ip}; try again after ${throttle.lockedUntil.toISOString()}`);
  }

  const parsed = parseAddress(req.username);
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
    if (throttle) await db.authThrottle.deleteMany({ where: { key, lockedUntil: null } });
    return { id: account.id, email: account.email, role: account.role, displayName: account.displayName };
  }

  const windowStart = new Date(now.getTime() - config.authLockoutMinutes * 60_000);
  const failures = throttle && throttle.firstFailure > windowStart ? throttle.failures + 1 : 1;
  const lockedUntil = failures >= config.authLockoutFailures ? new Date(now.getTime() + config.authLockoutMinutes * 60_000) : null;
  const data = { failures, lockedUntil, ...(failures === 1 ? { firstFailure: now } : {}) };
  await db.authThrottle.upsert({ where: { key }, create: { key, ...data, firstFailure: now }, update: data });
  await sleep(Math.min(failures * config.authFailureDelayMs, 5000));
  if (lockedUntil) throw new AuthError("locked", `too many failed sign-ins from ${req.ip}; locked until ${lockedUntil.toISOString()}`);
  throw new AuthError("invalid", "wrong user name or password");
}
