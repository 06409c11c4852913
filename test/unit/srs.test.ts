import { test } from "node:test";
import assert from "node:assert/strict";
import { srsDecode, srsEncode, isSrsAddress } from "../../lib/routing/srs";

const KEY = "k".repeat(40);
const day = (n: number) => new Date(Date.UTC(2026, 11, 2) + n * 86_400_000);

test("an SRS0 address carries the original sender and decodes back, in any case", () => {
  const srs = srsEncode(KEY, "carol@Sender.Test", "example.test", day(0));
  assert.match(srs, /^SRS0=[A-Z2-7]{6}=[A-Z2-7]{2}=sender\.test=carol@example\.test$/);
  assert.ok(isSrsAddress(srs));
  assert.deepEqual(srsDecode(KEY, srs, day(0)), { ok: true, address: "carol@sender.test" });
  assert.deepEqual(srsDecode(KEY, srs.toLowerCase(), day(3)), { ok: true, address: "carol@sender.test" });
  // A local part with "=" (an already rewritten sender) survives.
  const nested = srsEncode(KEY, "SRS0=AAAAAA=AB=x.test=bob@y.test", "example.test", day(0));
  assert.deepEqual(srsDecode(KEY, nested, day(0)), { ok: true, address: "SRS0=AAAAAA=AB=x.test=bob@y.test" });
});

test("forged, tampered, foreign-key and expired SRS addresses are refused", () => {
  const srs = srsEncode(KEY, "carol@sender.test", "example.test", day(0));
  assert.equal(srsDecode(KEY, srs.replace("sender.test", "victim.test"), day(0)).ok, false);
  assert.equal(srsDecode(KEY, srs.replace("=carol@", "=mallory@"), day(0)).ok, false);
  assert.equal(srsDecode("x".repeat(40), srs, day(0)).ok, false);
  assert.deepEqual(srsDecode(KEY, srs, day(21)), { ok: true, address: "carol@sender.test" });
  assert.deepEqual(srsDecode(KEY, srs, day(22)), { ok: false, reason: "expired (22 days old)" });
  assert.equal(srsDecode(KEY, "SRS0=garbage@example.test", day(0)).ok, false);
  assert.equal(isSrsAddress("alice@example.test"), false);
});

test("the day counter wraps at 1024 days without breaking the age check", () => {
  const srs = srsEncode(KEY, "carol@sender.test", "example.test", day(1023));
  assert.equal(srsDecode(KEY, srs, day(1030)).ok, true);
});
