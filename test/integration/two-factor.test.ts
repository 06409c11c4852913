/**
 * Two-factor sign-in and app passwords through the real listeners: once TOTP is on, IMAP
 * (imapflow), SMTP submission (nodemailer) and POP3 (Python's poplib) refuse the account
 * password and accept an app password; the web's check wants a code after the password,
 * takes each TOTP step once and each recovery code once.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import nodemailer from "nodemailer";
import { startTestEngine, PASSWORD, type TestEngine } from "../helpers/engine";
import { imapflow } from "../helpers/imap";
import { authenticate, AuthError } from "../../lib/auth/authenticate";
import * as security from "../../lib/auth/account-security";
import { totpAt } from "../../lib/auth/totp";

let t: TestEngine;
let aliceId = "";
before(async () => {
  // Many deliberate failures from 127.0.0.1 here: no lock-out or delay in the way.
  t = await startTestEngine({ AUTH_LOCKOUT_FAILURES: "1000", AUTH_FAILURE_DELAY_MS: "1" });
  aliceId = (await t.db.account.findUniqueOrThrow({ where: { email: "alice@example.test" } })).id;
});
after(() => t?.stop());

const imapLogin = async (password: string) =>
  imapflow(t.imapPort, "alice@example.test", { password }).then(
    async (c) => {
      await c.logout();
      return "ok";
    },
    (e: { authenticationFailed?: boolean; message: string }) => (e.authenticationFailed ? "refused" : `error: ${e.message}`),
  );

const smtpLogin = async (password: string) => {
  const transport = nodemailer.createTransport({ host: "127.0.0.1", port: t.submissionsPort, secure: true, tls: { rejectUnauthorized: false }, auth: { user: "alice@example.test", pass: password } });
  try {
    await transport.verify();
    return "ok";
  } catch (e) {
    return (e as { responseCode?: number }).responseCode === 535 ? "refused" : `error: ${(e as Error).message}`;
  } finally {
    transport.close();
  }
};

/** Python's poplib, run asynchronously: the engine answering it lives in this process. */
const popLogin = (password: string): Promise<string> => {
  const script = `
import poplib, ssl, sys
c = poplib.POP3_SSL("127.0.0.1", ${t.pop3sPort}, context=ssl._create_unverified_context())
c.user("alice@example.test")
try:
    c.pass_(sys.argv[1]); print("ok"); c.quit()
except poplib.error_proto as e:
    print("refused" if b"[AUTH]" in e.args[0] else "error: " + str(e))
`;
  return new Promise((resolve) => {
    execFile("python3", ["-c", script, password], { encoding: "utf8", timeout: 20_000 }, (err, stdout, stderr) => resolve(stdout.trim() || `error: ${stderr || err}`));
  });
};

const web = (password: string, secondFactor?: string) =>
  authenticate(t.db, t.config, { username: "alice@example.test", password, ip: "127.0.0.1", allowAppPasswords: false, secondFactor }).then(
    (a) => a.email,
    (e: unknown) => (e instanceof AuthError ? e.reason : `unexpected ${e}`),
  );

test("app passwords work before two-factor; with it on, only they open IMAP, SMTP and POP3", async () => {
  const { password: appPassword } = await security.createAppPassword(t.db, aliceId, "phone");
  assert.match(appPassword, /^[a-z]{4}( [a-z]{4}){3}$/);
  assert.equal(await imapLogin(PASSWORD), "ok");
  assert.equal(await imapLogin(appPassword.replace(/ /g, "")), "ok", "without the spaces");
  assert.equal(await web(appPassword), "invalid", "the web takes no app password");

  const secret = await security.beginTwoFactor(t.db, aliceId);
  assert.equal(await imapLogin(PASSWORD), "ok", "not in force until confirmed");
  await assert.rejects(security.confirmTwoFactor(t.db, aliceId, "000000"), security.SettingsError);
  const codes = await security.confirmTwoFactor(t.db, aliceId, totpAt(secret, Date.now() + 30_000));
  assert.equal(codes.length, 10);

  assert.equal(await imapLogin(PASSWORD), "refused");
  assert.equal(await smtpLogin(PASSWORD), "refused");
  assert.equal(await popLogin(PASSWORD), "refused");
  assert.equal(await imapLogin(appPassword), "ok");
  assert.equal(await smtpLogin(appPassword), "ok");
  assert.equal(await popLogin(appPassword), "ok");
  const listed = await security.listAppPasswords(t.db, aliceId);
  assert.equal(listed.length, 1);
  assert.ok(listed[0].lastUsedAt, "last use recorded");

  // The web: a code after the password; a step's code once (the confirm used the next step).
  assert.equal(await web(PASSWORD), "second-factor");
  assert.equal(await web("wrong password"), "invalid", "a wrong password never reaches the code question");
  assert.equal(await web(PASSWORD, totpAt(secret, Date.now() + 30_000)), "invalid", "the step used to confirm is spent");
  assert.equal(await web(PASSWORD, "123 456"), "invalid");
  // A recovery code: once.
  assert.equal(await web(PASSWORD, codes[0].toUpperCase()), "alice@example.test");
  assert.equal(await web(PASSWORD, codes[0]), "invalid", "a recovery code is spent");
  assert.equal((await security.twoFactorState(t.db, aliceId)).recoveryCodesLeft, 9);

  // Two sign-ins racing with one TOTP code: one wins.
  const later = await security.replaceRecoveryCodes(t.db, aliceId);
  assert.equal(later.length, 10);
  assert.equal(await web(PASSWORD, codes[1]), "invalid", "old recovery codes die with a new set");

  // Revoking the app password closes IMAP to it; turning two-factor off reopens the account password.
  await security.revokeAppPassword(t.db, aliceId, listed[0].id);
  assert.equal(await imapLogin(appPassword), "refused");
  await assert.rejects(security.disableTwoFactor(t.db, aliceId, "wrong"), security.SettingsError);
  await security.disableTwoFactor(t.db, aliceId, PASSWORD);
  assert.equal(await imapLogin(PASSWORD), "ok");
  assert.equal(await web(PASSWORD), "alice@example.test");
});

test("one TOTP code signs in once, even when two sign-ins race with it", async () => {
  const secret = await security.beginTwoFactor(t.db, aliceId);
  await security.confirmTwoFactor(t.db, aliceId, totpAt(secret, Date.now() - 30_000));
  const code = totpAt(secret);
  const results = await Promise.all([web(PASSWORD, code), web(PASSWORD, code)]);
  assert.deepEqual(results.sort(), ["alice@example.test", "invalid"]);
  await security.disableTwoFactor(t.db, aliceId, PASSWORD);
});

test("settings refuse what they must: bad names, another account's rows, short passwords", async () => {
  const bob = await t.db.account.findUniqueOrThrow({ where: { email: "bob@example.test" } });
  const { id } = await security.createAppPassword(t.db, bob.id, "bob's laptop");
  await assert.rejects(security.revokeAppPassword(t.db, aliceId, id), /no such app password/, "alice cannot revoke bob's");
  assert.equal((await security.listAppPasswords(t.db, aliceId)).some((p) => p.id === id), false);
  await assert.rejects(security.createAppPassword(t.db, aliceId, "   "), /name/);
  await assert.rejects(security.changePassword(t.db, aliceId, { current: PASSWORD, next: "short", keepSessionId: "x" }), /at least 8/);
  await assert.rejects(security.changePassword(t.db, aliceId, { current: "wrong", next: "long enough one", keepSessionId: "x" }), /current password/);
  await security.setDisplayName(t.db, aliceId, "  Alice\r\nLiddell ");
  assert.equal((await t.db.account.findUniqueOrThrow({ where: { id: aliceId } })).displayName, "Alice Liddell");
});
