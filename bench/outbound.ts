/**
 * Outbound delivery end to end: messages of about 4 KB are submitted (port 587, STARTTLS,
 * AUTH, 20 connections reused) for 50 recipients at a remote domain whose MX (from a
 * loopback DNS server) is a sink on loopback that accepts everything, as Postfix's
 * smtp-sink does. Prints messages delivered per second (first submission to last message
 * at the sink), and p50/p99 queue latency (the submission's 250 to the sink's 250).
 * `--drain` submits everything before the sink listens, then times the queue emptying.
 * Postfix is not run here: without Debian's postfix package there is nothing to compare.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import nodemailer from "nodemailer";
import { SMTPServer } from "smtp-server";
import { parseOptions, usage, type OptionSpec } from "./lib/args";
import { spawnEngine } from "./lib/engine";
import { freePort, waitForSmtp } from "./lib/net";
import { fmt, percentile, sortedCopy } from "./lib/stats";
import { loadConfig } from "../lib/config";
import { migrate } from "../lib/db/migrate";
import { createDb } from "../lib/db/client";
import { addAccount, addDomain } from "../lib/directory";
import { startDnsServer } from "../test/helpers/dns-server";

const SPEC: Record<string, OptionSpec> = {
  messages: { type: "int", default: 5000, help: "messages to send" },
  recipients: { type: "int", default: 50, help: "distinct remote recipients (one per message, round robin)" },
  size: { type: "int", default: 4096, help: "approximate message size in bytes" },
  sessions: { type: "int", default: 20, help: "submission connections" },
  postgres: { type: "string", help: "PostgreSQL URL of a database to use (emptied first) instead of SQLite" },
  env: { type: "string", help: "extra engine settings, comma list of NAME=VALUE (e.g. OUTBOUND_DESTINATION_CONCURRENCY=10)" },
  profile: { type: "string", help: "write the engine's CPU profiles (one per thread) to this folder" },
  drain: { type: "flag", help: "start the sink only once everything is submitted: measures delivery alone (the queue drains a backlog; retries after 1 s)" },
};

export function help(): string {
  return usage(SPEC);
}

function message(n: number, to: string, size: number): Buffer {
  const head = `From: Bench Sender <sender@bench.test>\r\nTo: <${to}>\r\nSubject: outbound bench ${n}\r\nMessage-ID: <bench.${n}.${Date.now()}@bench.test>\r\nDate: ${new Date().toUTCString()}\r\nX-Bench-Seq: ${n}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n`;
  const line = "The quick brown fox jumps over the lazy dog; the schedule and the budget follow.\r\n";
  return Buffer.from(head + line.repeat(Math.max(1, Math.round((size - head.length) / line.length))));
}

export async function run(argv: string[]): Promise<number> {
  const o = parseOptions(argv, SPEC);
  const N = o.messages as number;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-outbound-"));
  const sinkPort = await freePort();
  const submissionPort = await freePort();
  const accepted = new Float64Array(N);
  const arrived = new Float64Array(N);
  let count = 0;
  let lastArrival = 0;
  let onAll: () => void = () => undefined;
  const allArrived = new Promise<void>((r) => (onAll = r));
  const sink = new SMTPServer({
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    size: 10 * 1024 * 1024,
    onData(stream, _s, cb) {
      let head = "";
      stream.on("data", (c: Buffer) => {
        if (head.length < 4096) head += c.toString("latin1");
      });
      stream.on("end", () => {
        const m = /X-Bench-Seq: (\d+)/.exec(head);
        const now = performance.now();
        if (m && !arrived[Number(m[1])]) {
          arrived[Number(m[1])] = now;
          lastArrival = now;
          if (++count === N) onAll();
        }
        cb(null, "2.0.0 Ok: sunk");
      });
    },
  });
  const listen = () => new Promise<void>((r) => sink.listen(sinkPort, "127.0.0.1", () => r()));
  if (!o.drain) await listen();
  const dns = await startDnsServer([
    { name: "sink.test", type: "MX", data: { preference: 10, exchange: "mx.sink.test" } },
    { name: "mx.sink.test", type: "A", data: "127.0.0.1" },
  ]);
  const extra = Object.fromEntries(((o.env as string | undefined) ?? "").split(",").filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    ...(o.postgres ? { DATABASE_URL: o.postgres as string } : {}),
    BIND_ADDRESS: "127.0.0.1",
    MAIL_HOSTNAME: "mx.bench.test",
    SMTP_PORT: "0",
    SUBMISSION_PORT: String(submissionPort),
    SUBMISSIONS_PORT: "0",
    IMAP_PORT: "0",
    IMAPS_PORT: "0",
    POP3_PORT: "0",
    POP3S_PORT: "0",
    WEB_PORT: "0",
    DNS_SERVERS: dns.address,
    OUTBOUND_SMTP_PORT: String(sinkPort),
    SMTP_CLIENT_CONNECTION_RATE: "0",
    // 20 sign-ins at once from one address would trip the lock-out, which counts attempts before the check.
    AUTH_LOCKOUT_FAILURES: "1000",
    LOG_LEVEL: "warn",
    ...(o.drain ? { QUEUE_RETRY_FIRST_SECONDS: "1", QUEUE_RETRY_MAX_SECONDS: "1" } : {}),
    ...extra,
  };
  const config = loadConfig(env);
  if (config.provider === "postgresql") {
    const pg = (await import("pg")).default;
    const c = new pg.Client({ connectionString: config.databaseUrl });
    await c.connect();
    await c.query("DROP SCHEMA public CASCADE; CREATE SCHEMA public");
    await c.end();
  }
  await migrate(config);
  const db = await createDb(config);
  await addDomain(db, "bench.test", "bench");
  await addAccount(db, { email: "sender@bench.test", password: "bench password" }, "bench");
  await db.$disconnect();
  const engine = spawnEngine({ root: process.cwd(), env, nodeArgs: o.profile ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve(o.profile as string)}`] : [] });
  let code = 0;
  try {
    await waitForSmtp(submissionPort, { alive: engine.exited });
    const tr = nodemailer.createTransport({ pool: true, maxConnections: o.sessions as number, maxMessages: Infinity, host: "127.0.0.1", port: submissionPort, secure: false, requireTLS: true, tls: { rejectUnauthorized: false }, auth: { user: "sender@bench.test", pass: "bench password" } });
    const recipients = Array.from({ length: o.recipients as number }, (_, i) => `rcpt${i}@sink.test`);
    console.log(`outbound: ${N} messages of ~${o.size} B for ${recipients.length} recipients at sink.test, ${o.sessions} submission connections, ${config.provider}`);
    const t0 = performance.now();
    let next = 0;
    const worker = async () => {
      for (let n = next++; n < N; n = next++) {
        const to = recipients[n % recipients.length];
        await tr.sendMail({ envelope: { from: "sender@bench.test", to: [to] }, raw: message(n, to, o.size as number) });
        accepted[n] = performance.now();
      }
    };
    await Promise.all(Array.from({ length: o.sessions as number }, worker));
    const submitted = performance.now();
    tr.close();
    let drainStart = 0;
    if (o.drain) {
      drainStart = performance.now();
      await listen();
    }
    const timeout = setTimeout(() => onAll(), 120_000);
    await allArrived;
    clearTimeout(timeout);
    if (count < N) {
      console.error(`only ${count} of ${N} messages reached the sink within 2 minutes of the last submission`);
      code = 1;
    }
    const lat = sortedCopy(Array.from(arrived, (a, i) => a - accepted[i]).filter((x, i) => arrived[i] > 0 && Number.isFinite(x)));
    const total = (lastArrival - t0) / 1000;
    console.log(`submitted in ${fmt((submitted - t0) / 1000, 2)} s (${fmt(N / ((submitted - t0) / 1000), 0)} msgs/s)`);
    console.log(`delivered to the sink: ${count} in ${fmt(total, 2)} s = ${fmt(count / total, 0)} msgs/s end to end`);
    console.log(`queue latency (submission 250 -> sink 250): p50 ${fmt(percentile(lat, 50), 0)} ms, p99 ${fmt(percentile(lat, 99), 0)} ms`);
    if (o.drain) {
      const drained = (lastArrival - drainStart) / 1000;
      console.log(`drain: the backlog of ${count} reached the sink ${fmt(drained, 2)} s after the sink started = ${fmt(count / drained, 0)} msgs/s (delivery alone; first retry up to 1 s after the start)`);
    }
    console.log(`engine peak RSS ${fmt(engine.peakRss() / 1048576, 0)} MB`);
  } finally {
    await engine.stop();
    await new Promise<void>((r) => sink.close(() => r()));
    await dns.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return code;
}
