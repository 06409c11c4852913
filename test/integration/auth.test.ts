/** The shared password check: atomic per-address counting, lock-out, known-good addresses. */
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { testDatabase, type TestDatabase } from "../helpers/db";
import { addAccount, addDomain } from "../../lib/directory";
import { authenticate, AuthError } from "../../lib/auth/authenticate";
import { prune, strangerDelay } from "../../lib/auth/throttle";

const LIMIT = 10;
const STEP_MS = 20;
let t: TestDatabase;
before(async () => {
  t = await testDatabase({ AUTH_LOCKOUT_FAILURES: String(LIMIT), AUTH_FAILURE_DELAY_MS: String(STEP_MS) });
  await addDomain(t.db, "example.test", "test");
  await addAccount(t.db, { email: "alice@example.test", password: "right password" }, "test");
  await addAccount(t.db, { email: "mallory@example.test", password: "mallory's own" }, "test");
});
after(() => t.cleanup());

const attempt = async (ip: string, password: string, username = "Alice@Example.test") => {
  const start = Date.now();
  const result = await authenticate(t.db, t.config, { username, password, ip, allowAppPasswords: false }).then(
    (a) => a.email,
    (e: unknown) => (e instanceof AuthError ? `${e.reason}: ${e.message}` : `unexpected ${e}`),
  );
  return { result, ms: Date.now() - start };
};
const row = (key: string) => t.db.authThrottle.findUnique({ where: { key } });

test("a right password signs in, takes back its own count and remembers the address as good", async () => {
  assert.match((await attempt("192.0.2.1", "wrong")).result, /^invalid/);
  assert.equal((await attempt("192.0.2.1", "right password")).result, "alice@example.test");
  assert.equal((await row("ip:192.0.2.1"))?.failures, 1, "the earlier failure still counts; the success itself does not");
  assert.equal(await row("user:alice@example.test"), null, "the account's count is cleared");
  const good = await row("good:alice@example.test:192.0.2.1");
  assert.ok(good?.lockedUntil && good.lockedUntil > new Date(Date.now() + 29 * 86_400_000), "known good for 30 days");
  for (let i = 0; i < LIMIT + 2; i++) assert.equal((await attempt("192.0.2.1", "right password")).result, "alice@example.test", "successes never lock");
});

test("a sign-in from a known-good address writes nothing when there is nothing to clear or refresh", async () => {
  assert.equal((await attempt("192.0.2.9", "right password")).result, "alice@example.test");
  const good = await row("good:alice@example.test:192.0.2.9");
  const address = await row("ip:192.0.2.9");
  await new Promise((r) => setTimeout(r, 20));
  assert.equal((await attempt("192.0.2.9", "right password")).result, "alice@example.test");
  assert.deepEqual(await row("good:alice@example.test:192.0.2.9"), good, "the mark is not rewritten on every sign-in");
  assert.deepEqual(await row("ip:192.0.2.9"), address, "nothing counted for the address");
});

test("a mail client's many parallel sign-ins from a known-good address all succeed; its failures still lock", async () => {
  await addAccount(t.db, { email: "carol@example.test", password: "carol's password" }, "test");
  assert.equal((await attempt("192.0.2.77", "carol's password", "carol@example.test")).result, "carol@example.test");
  const burst = await Promise.all(Array.from({ length: 4 * LIMIT }, () => attempt("192.0.2.77", "carol's password", "carol@example.test")));
  assert.deepEqual(new Set(burst.map((b) => b.result)), new Set(["carol@example.test"]), "every one of the parallel sign-ins succeeds");
  assert.equal((await row("ip:192.0.2.77"))?.lockedUntil ?? null, null);
  const wrong = await Promise.all(Array.from({ length: LIMIT }, () => attempt("192.0.2.77", "wrong", "carol@example.test")));
  assert.ok(wrong.some((w) => w.result.startsWith("locked")), "failures from a known-good address still lock it");
  assert.match((await attempt("192.0.2.77", "carol's password", "carol@example.test")).result, /^locked/);
});

test("40 parallel wrong passwords from one address all count and lock that address", async () => {
  const results = await Promise.all(Array.from({ length: 40 }, (_, i) => attempt("198.51.100.7", `guess ${i}`)));
  const reasons = results.map((r) => r.result.split(":")[0]);
  assert.equal(reasons.filter((r) => r === "invalid").length, LIMIT - 1, "only LIMIT-1 guesses get a real answer");
  assert.equal(reasons.filter((r) => r === "locked").length, 40 - (LIMIT - 1));
  const ip = await row("ip:198.51.100.7");
  assert.equal(ip?.failures, 40, "every parallel attempt was counted");
  assert.ok(ip?.lockedUntil && ip.lockedUntil > new Date(Date.now() + 14 * 60_000));
  const locked = await attempt("198.51.100.7", "right password");
  assert.match(locked.result, /^locked: too many failed sign-ins from 198\.51\.100\.7;/, "the message names the address, not the account");
});

test("signing in to one's own account does not reset the address's failures against another", async () => {
  for (let i = 0; i < LIMIT - 1; i++) assert.match((await attempt("203.0.113.50", `guess ${i}`)).result, /^invalid/);
  assert.equal((await attempt("203.0.113.50", "mallory's own", "mallory@example.test")).result, "mallory@example.test");
  assert.match((await attempt("203.0.113.50", "guess again")).result, /^locked/, "the LIMIT-th failure locks, success in between or not");
});

test("an attack from many addresses slows strangers but never refuses the owner from a known-good address", async () => {
  assert.equal((await attempt("192.0.2.20", "right password")).result, "alice@example.test", "the owner's usual address");
  // 30 attackers, 3 guesses each: none reaches its own address limit, the account sees 90 failures.
  for (let round = 0; round < 3; round++) {
    await Promise.all(Array.from({ length: 30 }, (_, i) => attempt(`198.18.0.${i + 1}`, `round ${round} guess ${i}`)));
  }
  const account = await row("user:alice@example.test");
  assert.equal(account?.failures, 90, "every stranger failure was counted against the account");
  assert.equal(account?.lockedUntil, null, "the account is never locked");

  const owner = await attempt("192.0.2.20", "right password");
  assert.equal(owner.result, "alice@example.test", "the owner signs in from a known-good address");
  const expected = strangerDelay(91, LIMIT, STEP_MS);
  assert.ok(owner.ms < expected, `the owner was not slowed (${owner.ms} ms; strangers wait ${expected} ms)`);

  // The owner's success cleared the account's count; the attack starts again.
  for (let i = 0; i < 30; i++) await attempt(`198.18.1.${i + 1}`, `again ${i}`);
  const stranger = await attempt("198.18.2.1", "another guess");
  assert.match(stranger.result, /^invalid/, "a stranger is not refused, only slowed");
  const wait = strangerDelay(31, LIMIT, STEP_MS);
  assert.ok(stranger.ms >= wait, `the stranger waited ${stranger.ms} ms, at least ${wait}`);
  const fromNew = await attempt("192.0.2.99", "right password");
  assert.equal(fromNew.result, "alice@example.test", "the owner from a new address is delayed, never refused");
  assert.ok(fromNew.ms >= strangerDelay(32, LIMIT, STEP_MS));
});

test("failures from a known-good address do not count against the account", async () => {
  await t.db.authThrottle.deleteMany({ where: { key: "user:alice@example.test" } });
  assert.match((await attempt("192.0.2.20", "typo")).result, /^invalid/);
  assert.equal(await row("user:alice@example.test"), null);
  assert.match((await attempt("192.0.2.21", "typo")).result, /^invalid/);
  assert.equal((await row("user:alice@example.test"))?.failures, 1);
});

test("an expired count starts again; an expired lock lets the address in", async () => {
  await t.db.authThrottle.update({
    where: { key: "ip:198.51.100.7" },
    data: { firstFailure: new Date(Date.now() - 16 * 60_000), lockedUntil: new Date(Date.now() - 1000) },
  });
  assert.equal((await attempt("198.51.100.7", "right password")).result, "alice@example.test");
  assert.match((await attempt("198.51.100.7", "wrong")).result, /^invalid/);
  assert.equal((await row("ip:198.51.100.7"))?.failures, 1, "a new window: this is the first failure");
});

test("prune deletes expired known-good rows and finished counts, and nothing else", async () => {
  const now = new Date();
  const old = new Date(now.getTime() - 60 * 60_000);
  const later = new Date(now.getTime() + 60_000);
  await t.db.authThrottle.deleteMany({});
  await t.db.authThrottle.createMany({
    data: [
      { key: "good:a@example.test:192.0.2.1", failures: 0, firstFailure: old, lockedUntil: old },
      { key: "good:a@example.test:192.0.2.2", failures: 0, firstFailure: old, lockedUntil: later },
      { key: "ip:192.0.2.3", failures: 3, firstFailure: old, lockedUntil: null },
      { key: "ip:192.0.2.4", failures: 9, firstFailure: old, lockedUntil: later },
      { key: "ip:192.0.2.5", failures: 2, firstFailure: now, lockedUntil: null },
      { key: "user:a@example.test", failures: 2, firstFailure: old, lockedUntil: null },
    ],
  });
  assert.equal(await prune(t.db, now, new Date(now.getTime() - 15 * 60_000)), 3);
  const left = (await t.db.authThrottle.findMany({ select: { key: true } })).map((r) => r.key).sort();
  assert.deepEqual(left, ["good:a@example.test:192.0.2.2", "ip:192.0.2.4", "ip:192.0.2.5"]);
});
