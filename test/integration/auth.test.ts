/** The shared password check: per-address and per-account throttling. */
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { testDatabase, type TestDatabase } from "../helpers/db";
import { addAccount, addDomain } from "../../lib/directory";
import { authenticate, AuthError, ACCOUNT_LOCKOUT_FACTOR } from "../../lib/auth/authenticate";

let t: TestDatabase;
before(async () => {
  t = await testDatabase({ AUTH_LOCKOUT_FAILURES: "2", AUTH_FAILURE_DELAY_MS: "1" });
  await addDomain(t.db, "example.test", "test");
  await addAccount(t.db, { email: "alice@example.test", password: "right password" }, "test");
});
after(() => t.cleanup());

const attempt = (ip: string, password: string) =>
  authenticate(t.db, t.config, { username: "Alice@Example.test", password, ip, allowAppPasswords: false }).then(
    (a) => a.email,
    (e: unknown) => (e instanceof AuthError ? e.reason : `unexpected ${e}`),
  );

test("a right password signs in and clears the failures counted so far", async () => {
  assert.equal(await attempt("192.0.2.1", "wrong"), "invalid");
  assert.equal(await attempt("192.0.2.1", "right password"), "alice@example.test");
  assert.equal(await t.db.authThrottle.count({ where: { lockedUntil: null } }), 0);
});

test("rotating client addresses does not give unlimited guesses: the account locks too", async () => {
  const limit = 2 * ACCOUNT_LOCKOUT_FACTOR;
  const results: string[] = [];
  for (let i = 0; i < limit; i++) results.push(await attempt(`198.51.100.${i + 1}`, `guess ${i}`));
  assert.deepEqual(results.slice(0, -1), Array(limit - 1).fill("invalid"), "one failure per address never locks an address");
  assert.equal(results.at(-1), "locked", "the account locks after its own limit");
  assert.equal(await attempt("203.0.113.9", "right password"), "locked", "while locked, even the right password from a new address is refused");
  const row = await t.db.authThrottle.findUniqueOrThrow({ where: { key: "user:alice@example.test" } });
  assert.ok(row.lockedUntil && row.lockedUntil > new Date());
});
