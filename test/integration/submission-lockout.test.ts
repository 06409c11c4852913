/** Failed AUTH: 535 5.7.8 with a growing delay, then a lock-out of the client address. */
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { startTestEngine, PASSWORD, type TestEngine } from "../helpers/engine";
import { RawSmtp, authPlain } from "../helpers/raw-smtp";

let t: TestEngine;
before(async () => {
  t = await startTestEngine({ AUTH_FAILURE_DELAY_MS: "150", AUTH_LOCKOUT_FAILURES: "3", AUTH_LOCKOUT_MINUTES: "15" });
});
after(() => t.stop());

async function timedAuth(c: RawSmtp, password: string) {
  const start = Date.now();
  const r = await c.command(`AUTH PLAIN ${authPlain("alice@example.test", password)}`);
  return { ...r, ms: Date.now() - start };
}

test("each failure answers more slowly; after 3 even the right password is refused", async () => {
  const c = await RawSmtp.connect(t.submissionsPort, { tls: true });
  await c.command("EHLO laptop");
  const f1 = await timedAuth(c, "wrong 1");
  const f2 = await timedAuth(c, "wrong 2");
  assert.equal(f1.code, 535);
  assert.match(f1.text, /^5\.7\.8 /);
  assert.equal(f2.code, 535);
  assert.ok(f1.ms >= 140, `first failure delayed ${f1.ms} ms`);
  assert.ok(f2.ms >= 290, `second failure delayed ${f2.ms} ms, more than the first`);
  const f3 = await timedAuth(c, "wrong 3");
  assert.equal(f3.code, 454, `third failure locks out: ${f3.code} ${f3.text}`);
  assert.match(f3.text, /^4\.7\.0 Too many failed sign-ins/);
  c.close();

  const c2 = await RawSmtp.connect(t.submissionsPort, { tls: true });
  await c2.command("EHLO laptop");
  const locked = await c2.command(`AUTH PLAIN ${authPlain("alice@example.test", PASSWORD)}`);
  assert.equal(locked.code, 454, "the right password is refused while locked out");
  c2.close();
  const row = await t.db.authThrottle.findUniqueOrThrow({ where: { key: "ip:127.0.0.1" } });
  assert.ok(row.lockedUntil && row.lockedUntil > new Date(Date.now() + 14 * 60_000));

  // Once the lock expires, the right password works and clears the count.
  await t.db.authThrottle.update({ where: { key: "ip:127.0.0.1" }, data: { lockedUntil: new Date(Date.now() - 1000) } });
  const c3 = await RawSmtp.connect(t.submissionsPort, { tls: true });
  await c3.command("EHLO laptop");
  assert.equal((await c3.command(`AUTH PLAIN ${authPlain("alice@example.test", PASSWORD)}`)).code, 235);
  c3.close();
  assert.ok(t.logs.some((l) => l.event === "smtp.auth_failed" && l.reason === "locked"));
});
