/** The sign-in throttle's delays. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { failureDelay, MAX_DELAY_MS, strangerDelay, goodKey, goodNeedsRefresh, ipKey, accountKey, KNOWN_GOOD_DAYS } from "../../lib/auth/throttle";

test("the n-th failure from an address waits n steps, at most MAX_DELAY_MS", () => {
  assert.equal(failureDelay(1, 250), 250);
  assert.equal(failureDelay(4, 250), 1000);
  assert.equal(failureDelay(1000, 250), MAX_DELAY_MS);
  assert.equal(failureDelay(0, 250), 0);
});

test("strangers wait only once the account has had more failures than one address may make", () => {
  assert.equal(strangerDelay(10, 10, 250), 0);
  assert.equal(strangerDelay(11, 10, 250), 250);
  assert.equal(strangerDelay(14, 10, 250), 1000);
  assert.equal(strangerDelay(10_000, 10, 250), MAX_DELAY_MS);
});

test("keys are distinct per kind", () => {
  assert.deepEqual([ipKey("192.0.2.1"), accountKey("a@example.test"), goodKey("a@example.test", "192.0.2.1")], ["ip:192.0.2.1", "user:a@example.test", "good:a@example.test:192.0.2.1"]);
});

test("a known-good address's expiry is moved on at most once a day", () => {
  const now = new Date("2026-12-02T12:00:00Z");
  const inDays = (d: number) => new Date(now.getTime() + d * 86_400_000);
  assert.equal(goodNeedsRefresh(null, now), true, "not known good: remembered");
  assert.equal(goodNeedsRefresh(inDays(KNOWN_GOOD_DAYS), now), false, "just refreshed: no write");
  assert.equal(goodNeedsRefresh(inDays(KNOWN_GOOD_DAYS - 0.5), now), false);
  assert.equal(goodNeedsRefresh(inDays(KNOWN_GOOD_DAYS - 1.5), now), true, "refreshed over a day ago: written again");
});
