/**
 * Signed-in browsers (WebSession rows). The session cookie is a JWT that names its row;
 * a request is signed in only while the row exists, has not expired and its account is
 * enabled, so signing out, deleting the row (admin) or disabling or deleting the
 * account ends the session even though the JWT itself would still verify.
 */
import type { Db } from "../db/client";

export interface SessionAccount {
  id: string;
  email: string;
  displayName: string;
  role: "user" | "admin";
  sessionId: string;
}

/** lastSeenAt is written at most this often per session (no write on every page view). */
const TOUCH_INTERVAL_MS = 5 * 60_000;

export async function createWebSession(
  db: Db,
  input: { accountId: string; ip: string; userAgent: string; maxAgeSeconds: number },
): Promise<{ id: string; expiresAt: Date }> {
  const now = new Date();
  await db.webSession.deleteMany({ where: { accountId: input.accountId, expiresAt: { lt: now } } });
  return db.webSession.create({
    data: {
      accountId: input.accountId,
      ip: input.ip.slice(0, 64),
      userAgent: input.userAgent.slice(0, 300),
      expiresAt: new Date(now.getTime() + input.maxAgeSeconds * 1000),
    },
    select: { id: true, expiresAt: true },
  });
}

/** The account a session row signs in, or null when the row is gone or expired or the account is disabled. */
export async function findSessionAccount(db: Db, sessionId: string, accountId: string): Promise<SessionAccount | null> {
  const now = new Date();
  const row = await db.webSession.findFirst({
    where: { id: sessionId, accountId, expiresAt: { gt: now } },
    select: { id: true, lastSeenAt: true, account: { select: { id: true, email: true, displayName: true, role: true, disabled: true } } },
  });
  if (!row) return null;
  if (row.account.disabled) {
    // Disabling ends the session for good: enabling the account again needs a new sign-in.
    await endWebSession(db, row.id);
    return null;
  }
  if (now.getTime() - row.lastSeenAt.getTime() > TOUCH_INTERVAL_MS) {
    await db.webSession.updateMany({ where: { id: row.id }, data: { lastSeenAt: now } }).catch(() => {});
  }
  const { account } = row;
  return {
    id: account.id,
    email: account.email,
    displayName: account.displayName,
    role: account.role === "admin" ? "admin" : "user",
    sessionId: row.id,
  };
}

export async function endWebSession(db: Db, sessionId: string): Promise<void> {
  await db.webSession.deleteMany({ where: { id: sessionId } });
}
