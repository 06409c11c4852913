/**
 * Several engines on one database share the queue without delivering a recipient twice:
 * claims are leases taken with FOR UPDATE SKIP LOCKED on PostgreSQL (by one writer at a
 * time on SQLite). Two engines, 120 queued messages, a recording sink as the MX.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { SMTPServer } from "smtp-server";
import { testDatabase } from "../helpers/db";
import { startDnsServer } from "../helpers/dns-server";
import { startEngine } from "../../mail-engine/engine";
import { newQueueId } from "../../lib/domain/ids";
import { createLogger, setLogSink } from "../../lib/log";

const N = 120;

test("two engines on one database deliver every queued recipient exactly once, and both take part", async () => {
  const seen = new Map<string, number>();
  const byEngine: Record<string, number> = {};
  setLogSink((line) => {
    const l = JSON.parse(line) as { event: string; proc: string };
    if (l.event === "queue.delivered") byEngine[l.proc] = (byEngine[l.proc] ?? 0) + 1;
  });
  const sink = new SMTPServer({
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, session, cb) {
      stream.resume();
      stream.on("end", () => {
        for (const r of session.envelope.rcptTo) seen.set(r.address, (seen.get(r.address) ?? 0) + 1);
        cb(null, "2.0.0 sunk");
      });
    },
  });
  await new Promise<void>((r) => sink.listen(0, "127.0.0.1", () => r()));
  const sinkPort = (sink.server.address() as { port: number }).port;
  const dns = await startDnsServer([
    { name: "sink.test", type: "MX", data: { preference: 10, exchange: "mx.sink.test" } },
    { name: "mx.sink.test", type: "A", data: "127.0.0.1" },
  ]);
  const t = await testDatabase({ DNS_SERVERS: dns.address, OUTBOUND_SMTP_PORT: String(sinkPort), SMTP_PORT: "1", SUBMISSION_PORT: "0", SUBMISSIONS_PORT: "0", IMAP_PORT: "0", IMAPS_PORT: "0", POP3_PORT: "0", POP3S_PORT: "0", QUEUE_POLL_MS: "100", OUTBOUND_CONCURRENCY: "2" });
  const one = await startEngine(t.config, { randomPorts: true, log: createLogger({ proc: "engine-1" }), queueWorker: false });
  const two = await startEngine(t.config, { randomPorts: true, log: createLogger({ proc: "engine-2" }), queueWorker: false });
  try {
    for (let i = 0; i < N; i++) {
      await one.ctx.store.deliver({
        raw: Buffer.from(`From: x@a.example\r\nTo: r${i}@sink.test\r\nSubject: claim ${i}\r\n\r\nbody ${i}\r\n`),
        queueId: newQueueId(),
        targets: [],
        queue: { mailFrom: "x@a.example", accountId: null, recipients: [`r${i}@sink.test`] },
      });
    }
    // Both start on a full queue at the same moment.
    one.queue.start();
    two.queue.start();
    // The sink sees a message before its sender records the outcome: wait for both,
    // or the last delivery's row may still be on its way when the counts are read.
    const deadline = Date.now() + 60_000;
    let delivered = 0;
    let left = -1;
    while (Date.now() < deadline) {
      delivered = await t.db.deliveryLog.count({ where: { event: "delivered" } });
      left = await t.db.outboundRecipient.count();
      if (seen.size >= N && delivered >= N && left === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(seen.size, N, "every recipient arrived");
    assert.ok([...seen.values()].every((n) => n === 1), "none arrived twice");
    assert.equal(delivered, N, "one delivery recorded per recipient");
    assert.equal(left, 0, "no recipient left in the queue");
    assert.ok(byEngine["engine-1"] > 0 && byEngine["engine-2"] > 0, `both engines delivered: ${JSON.stringify(byEngine)}`);
  } finally {
    await one.stop();
    await two.stop();
    await t.cleanup();
    await dns.close();
    await new Promise<void>((r) => sink.close(() => r()));
  }
});
