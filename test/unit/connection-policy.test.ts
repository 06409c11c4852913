import { test } from "node:test";
import assert from "node:assert/strict";
import { ConnectionPolicy } from "../../mail-engine/smtp/connection-policy";

const settings = { trustedNetworks: ["192.0.2.0/24", "2001:db8::/32"], perClientLimit: 2, ratePerMinute: 3, greetPauseMs: 500, greetPassTtlMs: 10_000, commandDeadlineMs: 1, dataDeadlineMs: 1 };

test("the host's own addresses and TRUSTED_NETWORKS are exempt; others are not", () => {
  const p = new ConnectionPolicy(settings);
  for (const ip of ["127.0.0.1", "::1", "::ffff:127.0.0.1", "192.0.2.77", "2001:db8::5"]) assert.ok(p.isExempt(ip), ip);
  for (const ip of ["127.0.0.2", "198.51.100.1", "2001:db9::1", "::ffff:198.51.100.1"]) assert.ok(!p.isExempt(ip), ip);
});

test("concurrency and rate limits per address, released on close; the pass cache expires", () => {
  let now = 0;
  const p = new ConnectionPolicy(settings, () => now);
  const a = p.admit("198.51.100.1");
  const b = p.admit("::ffff:198.51.100.1");
  assert.ok(a.ok && b.ok && a.pauseMs === 500);
  const c = p.admit("198.51.100.1");
  assert.ok(!c.ok && c.reason === "concurrency");
  assert.ok(p.admit("198.51.100.2").ok, "another address is served");
  a.release();
  a.release(); // twice is harmless
  assert.equal(p.activeCount("198.51.100.1"), 1);
  const d = p.admit("198.51.100.1");
  assert.ok(d.ok);
  d.release();
  const e = p.admit("198.51.100.1");
  assert.ok(!e.ok && e.reason === "rate", "the fourth in one minute");
  now = 60_000;
  const f = p.admit("198.51.100.1");
  assert.ok(f.ok, "a new minute");
  p.recordPass("198.51.100.1");
  f.release();
  const g = p.admit("198.51.100.1");
  assert.ok(g.ok && g.pauseMs === 0, "a passer skips the pause");
  g.release();
  now += 10_000;
  const h = p.admit("198.51.100.1");
  assert.ok(h.ok && h.pauseMs === 500, "until the TTL runs out");
  for (let i = 0; i < 10; i++) assert.ok(p.admit("127.0.0.1").ok, "exempt addresses have no limit");
});
