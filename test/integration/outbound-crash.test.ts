/**
 * The queue survives a crash: engine A (a child process) is killed with SIGKILL while it
 * works through a backlog for b.test; after a restart everything arrives, and nothing A
 * had recorded as delivered arrives twice. What may arrive twice is only what was on the
 * wire at the kill (at-least-once: B's 250 may have come before A's commit).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { startProviders } from "../helpers/providers";

const N = 90;

test("SIGKILL in the middle of a queue run: after restart every message is delivered, none recorded as delivered is sent again", async () => {
  const p = await startProviders({
    child: true,
    // One connection to b.test, so the backlog takes a while; a dead worker's lease runs out after 2 s.
    env: { QUEUE_RETRY_FIRST_SECONDS: "1", QUEUE_RETRY_MAX_SECONDS: "1", OUTBOUND_DESTINATION_CONCURRENCY: "1", QUEUE_LEASE_SECONDS: "2" },
  });
  try {
    await p.b.stop(); // the backlog builds up while b.test is down
    const subjectOf = new Map<string, string>();
    for (let i = 0; i < N; i += 6) {
      await Promise.all(Array.from({ length: Math.min(6, N - i) }, async (_, k) => {
        const subject = `crash ${i + k}`;
        subjectOf.set(await p.submit(p.a, { to: "bob@b.test", subject, text: "x".repeat(3000) }), subject);
      }));
    }
    await p.b.start();
    // Killed as soon as A's log says three went out (read from its output, not by a
    // database poll: a fast run could finish the backlog between two polls).
    const delivered = () => p.a.logs.filter((l) => l.event === "queue.delivered").length;
    await p.waitFor(async () => delivered(), (n) => n >= 3, 30_000);
    await p.a.kill();
    const before = await p.inboxCount(p.b, "bob@b.test");
    const db = p.a.data.db;
    const inFlight = await db.outboundRecipient.count({ where: { status: "delivering" } });
    const recorded = await db.deliveryLog.findMany({ where: { event: "delivered" }, select: { queueId: true } });
    assert.ok(before < N, `the kill came before the end of the run (${before} of ${N} had arrived)`);
    await p.a.start();
    const subjects = async () => (await p.b.data.db.message.findMany({ where: { account: { email: "bob@b.test" } }, select: { subject: true } })).map((m) => m.subject);
    const got = await p.waitFor(subjects, (s) => new Set(s).size === N, 40_000);
    const counts = new Map<string, number>();
    for (const s of got) counts.set(s!, (counts.get(s!) ?? 0) + 1);
    const dupes = [...counts.values()].filter((n) => n > 1).length;
    assert.ok(dupes <= inFlight, `${dupes} duplicate(s), at most the ${inFlight} in flight at the kill`);
    // Those A had committed as delivered before the kill arrived exactly once.
    assert.ok(recorded.length >= 1);
    for (const r of recorded) assert.equal(counts.get(subjectOf.get(r.queueId)!), 1, `${subjectOf.get(r.queueId)} was recorded as delivered before the kill`);
    const aRows = await db.deliveryLog.findMany({ where: { event: "delivered" } });
    const perQueue = new Map<string, number>();
    for (const r of aRows) perQueue.set(r.queueId, (perQueue.get(r.queueId) ?? 0) + 1);
    assert.ok([...perQueue.values()].every((n) => n === 1), "no recipient was recorded as delivered twice");
    assert.equal(perQueue.size, N, "every message is recorded as delivered");
    assert.equal(await db.outboundRecipient.count(), 0, "the queue is empty");
  } finally {
    await p.stop();
  }
});
