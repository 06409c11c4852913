/**
 * SMTP AUTH under attack, over real sockets: parallel guesses from one address each
 * count and lock that address (not the account); the owner from a known-good address
 * still signs in while other addresses attack; strangers are slowed.
 */
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { startTestEngine, PASSWORD, type TestEngine } from "../helpers/engine";
import { RawSmtp, authPlain } from "../helpers/raw-smtp";
import { strangerDelay } from "../../lib/auth/throttle";

const LIMIT = 5;
const STEP_MS = 40;
let t: TestEngine;
before(async () => {
  t = await startTestEngine({ AUTH_FAILURE_DELAY_MS: String(STEP_MS), AUTH_LOCKOUT_FAILURES: String(LIMIT), AUTH_LOCKOUT_MINUTES: "15" });
});
after(() => t.stop());

async function auth(from: string, password: string) {
  const c = await RawSmtp.connect(t.submissionsPort, { tls: true, localAddress: from });
  try {
    await c.command("EHLO client");
    const start = Date.now();
    const r = await c.command(`AUTH PLAIN ${authPlain("alice@example.test", password)}`);
    return { code: r.code, text: r.text, ms: Date.now() - start };
  } finally {
    c.close();
  }
}

test("40 parallel wrong passwords from one address: all counted, the address locked, with a reply that blames the address", async () => {
  assert.equal((await auth("127.0.0.1", PASSWORD)).code, 235, "alice's usual address becomes known good");
  const replies = await Promise.all(Array.from({ length: 40 }, (_, i) => auth("127.0.0.2", `guess ${i}`)));
  const codes = replies.map((r) => r.code);
  assert.equal(codes.filter((c) => c === 535).length, LIMIT - 1, `codes: ${codes.join(" ")}`);
  assert.equal(codes.filter((c) => c === 454).length, 40 - (LIMIT - 1));
  for (const r of replies.filter((r) => r.code === 454)) assert.match(r.text, /^4\.7\.0 Too many failed sign-ins from your address/);
  const row = await t.db.authThrottle.findUniqueOrThrow({ where: { key: "ip:127.0.0.2" } });
  assert.equal(row.failures, 40, "each parallel attempt counted");
  assert.ok(row.lockedUntil && row.lockedUntil > new Date());
  assert.equal((await auth("127.0.0.2", PASSWORD)).code, 454, "the locked address is refused even with the right password");

  // The account is not locked: its owner signs in from the known-good address.
  const owner = await auth("127.0.0.1", PASSWORD);
  assert.equal(owner.code, 235, `${owner.code} ${owner.text}`);
});

test("a distributed attack slows strangers; the owner from a known-good address is neither refused nor slowed", async () => {
  // 16 more attacking addresses, LIMIT-1 guesses each: none locks itself, the account sees 64 failures.
  const attackers = Array.from({ length: 16 }, (_, i) => `127.0.1.${i + 1}`);
  for (let round = 0; round < LIMIT - 1; round++) {
    const replies = await Promise.all(attackers.map((ip, i) => auth(ip, `round ${round} guess ${i}`)));
    assert.ok(replies.every((r) => r.code === 535), replies.map((r) => r.code).join(" "));
  }
  const failures = (await t.db.authThrottle.findUniqueOrThrow({ where: { key: "user:alice@example.test" } })).failures;
  assert.equal(failures, 16 * (LIMIT - 1));

  const stranger = await auth("127.0.2.1", "one more guess");
  assert.equal(stranger.code, 535, "a stranger is slowed, not refused");
  const wait = strangerDelay(failures + 1, LIMIT, STEP_MS) + STEP_MS;
  assert.ok(stranger.ms >= wait, `the stranger's answer took ${stranger.ms} ms, at least ${wait}`);

  const owner = await auth("127.0.0.1", PASSWORD);
  assert.equal(owner.code, 235, `${owner.code} ${owner.text}`);
  assert.ok(owner.ms < wait, `the owner's answer took ${owner.ms} ms, the stranger waits ${wait}`);
  assert.ok(t.logs.some((l) => l.event === "smtp.auth_failed" && l.reason === "locked" && l.ip === "127.0.0.2"));
});
