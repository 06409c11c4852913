// The queue's result writer (mail-engine/queue/result-writer.ts): results that arrive while
// a write is under way go together in the next one; a failing batch is retried message by
// message so one bad write does not fail its neighbours; a batch is capped in size.
import { test } from "node:test";
import assert from "node:assert/strict";
import { MAX_RESULTS_PER_WRITE, ResultWriter } from "../../mail-engine/queue/result-writer";
import type { AttemptResult } from "../../lib/store/ops/queue";

const result = (id: string): AttemptResult => ({ recipientId: id, queueId: `q-${id}`, address: `${id}@b.test`, status: "delivered", reply: "250 ok", attempted: true, event: "delivered" });

test("results arriving during a write are written together in the next one; each caller learns what was written", async () => {
  const writes: string[][] = [];
  let release: () => void = () => undefined;
  const w = new ResultWriter(async (results) => {
    writes.push(results.map((r) => r.recipientId));
    if (writes.length === 1) await new Promise<void>((r) => (release = r));
    return results.map((r) => r.recipientId).filter((id) => id !== "lost");
  });
  const now = new Date();
  const first = w.record([result("a")], now);
  const later = [w.record([result("b"), result("c")], now), w.record([result("lost")], now), w.record([result("d")], now)];
  release();
  const [a, ...rest] = await Promise.all([first, ...later]);
  assert.deepEqual(writes, [["a"], ["b", "c", "lost", "d"]]);
  assert.ok(a.has("a"));
  for (const written of rest) {
    assert.ok(written.has("b") && written.has("d"));
    assert.equal(written.has("lost"), false, "a recipient whose lease was lost is not reported written");
  }
});

test("a failed batch is written again message by message: only the failing message's caller gets the error", async () => {
  const writes: string[][] = [];
  let release: () => void = () => undefined;
  const w = new ResultWriter(async (results) => {
    const ids = results.map((r) => r.recipientId);
    writes.push(ids);
    if (writes.length === 1) await new Promise<void>((r) => (release = r));
    if (ids.includes("bad")) throw new Error("constraint failed");
    return ids;
  });
  const now = new Date();
  const first = w.record([result("a")], now);
  const good = w.record([result("b")], now);
  const bad = w.record([result("bad")], now);
  const alsoGood = w.record([result("c")], now);
  release();
  assert.ok((await first).has("a"));
  assert.ok((await good).has("b"));
  await assert.rejects(bad, /constraint failed/);
  assert.ok((await alsoGood).has("c"));
  assert.deepEqual(writes, [["a"], ["b", "bad", "c"], ["b"], ["bad"], ["c"]]);
});

test("a write carries at most MAX_RESULTS_PER_WRITE results (a single larger message goes alone)", async () => {
  const sizes: number[] = [];
  let release: () => void = () => undefined;
  const w = new ResultWriter(async (results) => {
    sizes.push(results.length);
    if (sizes.length === 1) await new Promise<void>((r) => (release = r));
    return results.map((r) => r.recipientId);
  });
  const now = new Date();
  const all = [w.record([result("first")], now)];
  for (let i = 0; i < MAX_RESULTS_PER_WRITE + 10; i++) all.push(w.record([result(`m${i}`)], now));
  all.push(w.record(Array.from({ length: MAX_RESULTS_PER_WRITE + 5 }, (_, i) => result(`big${i}`)), now));
  release();
  await Promise.all(all);
  assert.deepEqual(sizes, [1, MAX_RESULTS_PER_WRITE, 10, MAX_RESULTS_PER_WRITE + 5]);
});
