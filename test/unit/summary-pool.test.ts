import { test } from "node:test";
import assert from "node:assert/strict";
import { SummaryPool } from "../../lib/mime/summary-pool";

const workerOf = (pool: SummaryPool) => (pool as unknown as { worker: unknown }).worker;

test("the summary worker parses messages off the main thread", async () => {
  const pool = new SummaryPool();
  try {
    assert.equal(workerOf(pool), null, "no thread before the first message");
    const raw = Buffer.from("From: \"Ann\" <Ann@Example.com>\r\nTo: b@example.com, c@example.com\r\nSubject: =?UTF-8?B?SGVsbG8g8J+Riw==?=\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\nMessage-ID: <m1@example.com>\r\n\r\nBody  text\r\n");
    const s = await Promise.all([pool.summarise(raw), pool.summarise(raw)]);
    assert.equal(s[0].fromAddress, "ann@example.com");
    assert.equal(s[0].subject, "Hello 👋");
    assert.deepEqual(s[1].to.map((a) => a.address), ["b@example.com", "c@example.com"]);
    assert.ok(s[0].sentDate instanceof Date && s[0].sentDate.toISOString() === "2026-11-23T10:00:00.000Z");
    assert.equal(s[0].snippet, "Body text");
    assert.deepEqual(pool.counts, { worker: 2, inProcess: 0 }, "both summaries came from the worker, none from the in-process fallback");
    const parsed = await pool.parse(Buffer.from("Subject: s\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\none\r\n--b--\r\n"));
    assert.equal(parsed.structure.parts?.length, 1, "the structure comes back too");
    assert.equal(parsed.envelope.subject, "s");
    assert.equal(pool.counts.worker, 3);
  } finally {
    await pool.close();
  }
});

test("the summary worker stops when idle and starts again for the next message", async () => {
  const pool = new SummaryPool(200);
  try {
    const raw = Buffer.from("From: a@example.com\r\nSubject: idle\r\n\r\nx\r\n");
    assert.equal((await pool.summarise(raw)).subject, "idle");
    const first = workerOf(pool);
    assert.ok(first);
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(workerOf(pool), null, "stopped after the idle time");
    assert.equal((await pool.summarise(raw)).subject, "idle");
    assert.ok(workerOf(pool) && workerOf(pool) !== first, "a new thread for the next message");
  } finally {
    await pool.close();
  }
});

test("without a worker the pool summarises in-process, and counts it", async () => {
  const pool = new SummaryPool();
  await pool.close();
  const s = await pool.summarise(Buffer.from("From: a@example.com\r\nSubject: x\r\n\r\nhi\r\n"));
  assert.equal(s.subject, "x");
  assert.deepEqual(pool.counts, { worker: 0, inProcess: 1 });
});
