/**
 * What a user changes about their own sign-in: password, two-factor sign-in (TOTP and
 * recovery codes), app passwords for mail clients, and their signed-in browsers. Every
 * function takes the account id of the session; none reads another account's rows.
 *
 * Two-factor changes what the one password check accepts (lib/auth/authenticate.ts):
 * the web asks for a code after the password, and IMAP, POP3 and SMTP AUTH, which cannot
 * ask, accept app passwords only — a stolen account password alone then opens nothing.
 */
import { createHash, randomBytes, randomInt } from "node:crypto";
import type { Db } from "../db/client";
import { hashPassword, passwordProblem, verifyPassword } from "./password";
import { newTotpSecret, verifyTotp } from "./totp";

export class SettingsError extends Error {}

const RECOVERY_CODES = 10;

/** Recovery codes are 50 random bits; SHA-256 suffices to store them (no dictionary to try). */
const recoveryHash = (code: string) => createHash("sha256").update(code.toLowerCase().replace(/[^a-z0-9]/g, "")).digest("hex");

function newRecoveryCode(): string {
  const raw = randomBytes(8).toString("base64url").toLowerCase().replace(/[^a-z0-9]/g, "").slice(0, 10).padEnd(10, "x");
  return `${raw.slice(0, 5)}-${raw.slice(5)}`;
}

async function requirePassword(db: Db, accountId: string, password: string) {
  const account = await db.account.findUnique({ where: { id: accountId } });
  if (!account) throw new SettingsError("account not found");
  if (!(await verifyPassword(account.passwordHash, password))) throw new SettingsError("the current password is wrong");
  return account;
}

// ---- password and profile ----

export async function setDisplayName(db: Db, accountId: string, name: string): Promise<void> {
  const clean = name.replace(/[\r\n\t]+/g, " ").trim();
  if (clean.length > 100) throw new SettingsError("the name must have at most 100 characters");
  await db.account.update({ where: { id: accountId }, data: { displayName: clean } });
}

/** Changes the password and signs out every other browser (the usual reason to change it). */
export async function changePassword(db: Db, accountId: string, input: { current: string; next: string; keepSessionId: string }): Promise<void> {
  await requirePassword(db, accountId, input.current);
  const problem = passwordProblem(input.next);
  if (problem) throw new SettingsError(problem);
  await db.account.update({ where: { id: accountId }, data: { passwordHash: await hashPassword(input.next) } });
  await db.webSession.deleteMany({ where: { accountId, id: { not: input.keepSessionId } } });
}

// ---- two-factor ----

export interface TwoFactorState {
  enabled: boolean;
  /** The secret being set up, shown until confirmed with a code. */
  pendingSecret: string | null;
  recoveryCodesLeft: number;
}

export async function twoFactorState(db: Db, accountId: string): Promise<TwoFactorState> {
  const account = await db.account.findUniqueOrThrow({ where: { id: accountId }, select: { totpEnabled: true, totpSecret: true } });
  const left = await db.recoveryCode.count({ where: { accountId, usedAt: null } });
  return { enabled: account.totpEnabled, pendingSecret: account.totpEnabled ? null : account.totpSecret, recoveryCodesLeft: left };
}

/** Starts set-up: a new secret, not yet in force until confirmTwoFactor() sees a code made from it. */
export async function beginTwoFactor(db: Db, accountId: string): Promise<string> {
  const account = await db.account.findUniqueOrThrow({ where: { id: accountId }, select: { totpEnabled: true } });
  if (account.totpEnabled) throw new SettingsError("two-factor sign-in is already on");
  const secret = newTotpSecret();
  await db.account.update({ where: { id: accountId }, data: { totpSecret: secret, totpLastStep: 0 } });
  return secret;
}

/** Turns two-factor on once the user's app produced a valid code; returns the recovery codes, shown once. */
export async function confirmTwoFactor(db: Db, accountId: string, code: string): Promise<string[]> {
  const account = await db.account.findUniqueOrThrow({ where: { id: accountId }, select: { totpEnabled: true, totpSecret: true, totpLastStep: true } });
  if (account.totpEnabled) throw new SettingsError("two-factor sign-in is already on");
  if (!account.totpSecret) throw new SettingsError("start the set-up first");
  const step = verifyTotp(account.totpSecret, code, account.totpLastStep);
  if (step === null) throw new SettingsError("that code is not right; check the time on your phone and try the next code");
  await db.account.update({ where: { id: accountId }, data: { totpEnabled: true, totpLastStep: step } });
  return replaceRecoveryCodes(db, accountId);
}

export async function disableTwoFactor(db: Db, accountId: string, password: string): Promise<void> {
  await requirePassword(db, accountId, password);
  await db.account.update({ where: { id: accountId }, data: { totpEnabled: false, totpSecret: null, totpLastStep: 0 } });
  await db.recoveryCode.deleteMany({ where: { accountId } });
}

export async function replaceRecoveryCodes(db: Db, accountId: string): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODES }, newRecoveryCode);
  await db.recoveryCode.deleteMany({ where: { accountId } });
  await db.recoveryCode.createMany({ data: codes.map((c) => ({ accountId, hash: recoveryHash(c) })) });
  return codes;
}

/**
 * The second factor of a web sign-in: a TOTP code (each good once) or an unused recovery
 * code (then spent). The compare-and-set updates make two racing sign-ins with one code
 * succeed at most once.
 */
export async function checkSecondFactor(db: Db, accountId: string, code: string): Promise<boolean> {
  const account = await db.account.findUnique({ where: { id: accountId }, select: { totpEnabled: true, totpSecret: true, totpLastStep: true } });
  if (!account?.totpEnabled || !account.totpSecret) return false;
  const trimmed = code.trim();
  if (/^\d[\d\s]{5,7}$/.test(trimmed)) {
    const step = verifyTotp(account.totpSecret, trimmed, account.totpLastStep);
    if (step === null) return false;
    const { count } = await db.account.updateMany({ where: { id: accountId, totpLastStep: { lt: step } }, data: { totpLastStep: step } });
    return count === 1;
  }
  const { count } = await db.recoveryCode.updateMany({ where: { accountId, hash: recoveryHash(trimmed), usedAt: null }, data: { usedAt: new Date() } });
  return count === 1;
}

// ---- app passwords ----

/** 16 lower-case letters in groups of four (about 75 bits), easy to type on a phone. */
function newAppPassword(): string {
  const letters = "abcdefghijklmnopqrstuvwxyz";
  const chars = Array.from({ length: 16 }, () => letters[randomInt(letters.length)]);
  return chars.join("").replace(/(.{4})(?=.)/g, "$1 ");
}

export async function createAppPassword(db: Db, accountId: string, name: string): Promise<{ id: string; password: string }> {
  const clean = name.replace(/\s+/g, " ").trim();
  if (!clean) throw new SettingsError("give the app password a name, such as the device it is for");
  if (clean.length > 60) throw new SettingsError("the name must have at most 60 characters");
  if ((await db.appPassword.count({ where: { accountId } })) >= 20) throw new SettingsError("at most 20 app passwords; revoke one you no longer use");
  const password = newAppPassword();
  // Clients send it with or without the spaces; it is checked without them.
  const row = await db.appPassword.create({ data: { accountId, name: clean, hash: await hashPassword(password.replace(/ /g, "")) } });
  return { id: row.id, password };
}

export async function listAppPasswords(db: Db, accountId: string) {
  return db.appPassword.findMany({ where: { accountId }, orderBy: { createdAt: "asc" }, select: { id: true, name: true, createdAt: true, lastUsedAt: true } });
}

export async function revokeAppPassword(db: Db, accountId: string, id: string): Promise<void> {
  const { count } = await db.appPassword.deleteMany({ where: { id, accountId } });
  if (count === 0) throw new SettingsError("no such app password");
}

// ---- signed-in browsers ----

export async function listWebSessions(db: Db, accountId: string) {
  return db.webSession.findMany({
    where: { accountId, expiresAt: { gt: new Date() } },
    orderBy: { lastSeenAt: "desc" },
    select: { id: true, ip: true, userAgent: true, createdAt: true, lastSeenAt: true },
  });
}

export async function endOtherWebSession(db: Db, accountId: string, sessionId: string): Promise<void> {
  await db.webSession.deleteMany({ where: { id: sessionId, accountId } });
}

export async function endAllOtherWebSessions(db: Db, accountId: string, keepSessionId: string): Promise<number> {
  const { count } = await db.webSession.deleteMany({ where: { accountId, id: { not: keepSessionId } } });
  return count;
}
