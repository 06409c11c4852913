/**
 * The one password check: web sign-in (next-auth), SMTP AUTH and IMAP LOGIN all call
 * authenticate(). Throttling (lib/auth/throttle.ts), shaped like Dovecot's auth penalty:
 * - every attempt is counted against the client address, atomically and before the
 *   password is checked; the n-th failure is answered after n × AUTH_FAILURE_DELAY_MS,
 *   and at AUTH_LOCKOUT_FAILURES the address is refused for AUTH_LOCKOUT_MINUTES;
 * - per account, attempts from addresses that never signed in to it are counted too,
 *   and once there are more of those failures than one address may make, such
 *   addresses wait before their password is checked. The account itself is never
 *   locked: failures from elsewhere must not lock the owner out of their known-good
 *   addresses (that would be a free denial of service).
 * A success takes back the attempt's own count on the address (it was not a failure)
 * and clears the account's count; it never clears the address's earlier failures, or
 * an attacker could reset them by signing in to an account of their own.
 */
import type { Db } from "../db/client";
import type { Config } from "../config";
import { parseAddress } from "../domain/address";
import { decoyHash, verifyPassword } from "./password";
import { checkSecondFactor } from "./account-security";
import { accountKey, clear, countAttempt, failureDelay, goodNeedsRefresh, ipKey, lock, prune, readStanding, rememberGood, strangerDelay, uncountAttempt } from "./throttle";

/** "second-factor": the password was right and the account wants a TOTP or recovery code (web only). */
export type AuthFailure = "invalid" | "locked" | "disabled" | "second-factor";

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
  /** Web sign-in of an account with two-factor on: the authenticator's code or a recovery code. */
  secondFactor?: string;
}

type ThrottleConfig = Pick<Config, "authLockoutFailures" | "authLockoutMinutes" | "authFailureDelayMs">;

/** One attempt in this many also deletes stale AuthThrottle rows, so the table does not grow without bound. */
const PRUNE_EVERY = 200;

const sleep = (ms: number) => (ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve());

export async function authenticate(db: Db, config: ThrottleConfig, req: AuthRequest): Promise<AuthenticatedAccount> {
  const now = new Date();
  const windowMs = config.authLockoutMinutes * 60_000;
  const windowStart = new Date(now.getTime() - windowMs);
  const limit = config.authLockoutFailures;
  const addressKey = ipKey(req.ip);
  const lockedMessage = (until: Date) => `too many failed sign-ins from ${req.ip}; try again after ${until.toISOString()}`;

  if (Math.random() * PRUNE_EVERY < 1) await prune(db, now, windowStart);
  const parsed = parseAddress(req.username);
  // An address that signed in to this account before (a mail client opening several
  // connections at once, an office behind one NAT address) is not counted before the
  // check: its parallel sign-ins must not lock each other out. Its failures still count,
  // after the check, and still lock the address.
  // One read for the counts and the known-good mark; a known-good sign-in then writes
  // nothing unless there is something to clear or to refresh.
  const standing = await readStanding(db, req.ip, parsed?.address ?? null, now);
  const knownGood = standing.goodUntil !== null;
  let byAddress = knownGood ? standing.byAddress : await countAttempt(db, addressKey, now, windowStart);
  if (byAddress.lockedUntil && byAddress.lockedUntil > now) throw new AuthError("locked", lockedMessage(byAddress.lockedUntil));
  if (!knownGood && byAddress.failures > limit) throw new AuthError("locked", lockedMessage(new Date(now.getTime() + windowMs)));

  if (parsed && !knownGood) {
    const byAccount = await countAttempt(db, accountKey(parsed.address), now, windowStart);
    await sleep(strangerDelay(byAccount.failures, limit, config.authFailureDelayMs));
  }

  const account = parsed ? await db.account.findUnique({ where: { email: parsed.address } }) : null;
  let ok = false;
  if (account) {
    // With two-factor on, mail clients (which cannot ask for a code) need an app password:
    // the account password alone must not open the mailbox.
    const accountPasswordAccepted = !(account.totpEnabled && req.allowAppPasswords);
    ok = accountPasswordAccepted && (await verifyPassword(account.passwordHash, req.password));
    if (!ok && req.allowAppPasswords) {
      // App passwords are shown in groups of four; clients send them with or without the spaces.
      const candidate = req.password.replace(/ /g, "");
      const appPasswords = await db.appPassword.findMany({ where: { accountId: account.id } });
      for (const ap of appPasswords) {
        if (await verifyPassword(ap.hash, candidate)) {
          ok = true;
          await db.appPassword.update({ where: { id: ap.id }, data: { lastUsedAt: now } });
          break;
        }
      }
    }
    if (ok && account.totpEnabled && !req.allowAppPasswords) {
      if (!req.secondFactor) {
        // A right password is not a failure; the code it now needs is checked (and counted) next.
        if (!knownGood) await uncountAttempt(db, addressKey);
        throw new AuthError("second-factor", "enter the code from your authenticator app or a recovery code");
      }
      ok = await checkSecondFactor(db, account.id, req.secondFactor);
    }
  } else {
    await verifyPassword(await decoyHash(), req.password); // same time whether or not the account exists
  }

  if (ok && account) {
    if (!knownGood) await uncountAttempt(db, addressKey);
    if (account.disabled) throw new AuthError("disabled", `account ${account.email} is disabled`);
    if (standing.accountFailures > 0 || !knownGood) await clear(db, accountKey(account.email));
    if (goodNeedsRefresh(standing.goodUntil, now)) await rememberGood(db, account.email, req.ip, now);
    return { id: account.id, email: account.email, role: account.role, displayName: account.displayName };
  }

  if (knownGood) byAddress = await countAttempt(db, addressKey, now, windowStart);
  await sleep(failureDelay(byAddress.failures, config.authFailureDelayMs));
  if (byAddress.failures >= limit) {
    const until = new Date(now.getTime() + windowMs);
    await lock(db, addressKey, until);
    throw new AuthError("locked", lockedMessage(until));
  }
  throw new AuthError("invalid", "wrong user name or password");
}
