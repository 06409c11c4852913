/**
 * Outbound delivery end to end: messages of about 4 KB are submitted (port 587, STARTTLS,
 * AUTH, 20 connections reused) for 50 recipients at a remote domain whose MX (from a
 * loopback DNS server) is a sink on loopback that accepts everything, as Postfix's
 * smtp-sink does. Prints messages delivered per second (first submission to last message
 * at the sink), and p50/p99 queue latency (the submission's 250 to the sink's 250).
 * `--drain` submits everything before the sink listens, then times the queue emptying.
 * With Debian's postfix installed, the same load then goes through a private Postfix
 * (bench/lib/postfix.ts, relayhost = a sink of its own) and the ratio is printed.
 */
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import nodemailer from "nodemailer";
import { SMTPServer } from "smtp-server";
import { parseOptions, usage, type OptionSpec } from "./lib/args";
import { cpuSeconds, spawnEngine } from "./lib/engine";
import { freePort, waitForSmtp } from "./lib/net";
import { fmt, percentile, sortedCopy } from "./lib/stats";
import { loadConfig } from "../lib/config";
import { migrate } from "../lib/db/migrate";
import { createDb } from "../lib/db/client";
import { addAccount, addDomain } from "../lib/directory";
import { startDnsServer } from "../test/helpers/dns-server";
import { createPostfix, postfixInstalled } from "./lib/postfix";

const SPEC: Record<string, OptionSpec> = {
  messages: { type: "int", default: 5000, help: "messages to send" },
  recipients: { type: "int", default: 50, help: "distinct remote recipients (one per message, round robin)" },
  size: { type: "int", default: 4096, help: "approximate message size in bytes" },
  sessions: { type: "int", default: 20, help: "submission connections" },
  postgres: { type: "string", help: "PostgreSQL URL of a database to use (emptied first) instead of SQLite" },
  env: { type: "string", help: "extra engine settings, comma list of NAME=VALUE (e.g. OUTBOUND_DESTINATION_CONCURRENCY=10)" },
  profile: { type: "string", help: "write the engine's CPU profiles (one per thread) to this folder" },
  "no-postfix": { type: "flag", help: "skip the Postfix side-by-side run" },
  "client-nodelay": { type: "flag", help: "turn Nagle's algorithm off in the load generator's connections (nodemailer 7 leaves it on: each submission then waits 40 ms for the server's delayed ACK, on both sides)" },
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

/** The sink: accepts everything on loopback and notes when each bench message arrives. */
function makeSink(N: number, port: number) {
  const arrived = new Float64Array(N);
  let count = 0;
  let lastArrival = 0;
  let onAll: () => void = () => undefined;
  const allArrived = new Promise<void>((r) => (onAll = r));
  const server = new SMTPServer({
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
  return {
    arrived,
    count: () => count,
    lastArrival: () => lastArrival,
    listen: () => new Promise<void>((r) => server.listen(port, "127.0.0.1", () => r())),
    /** Resolves once all N arrived, or after `ms` (then count() < N). */
    async wait(ms: number) {
      const timeout = setTimeout(() => onAll(), ms);
      await allArrived;
      clearTimeout(timeout);
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/**
 * `--client-nodelay`: the load generator's connections with Nagle's algorithm off.
 * nodemailer 7 leaves it on and writes a message's final "." apart from its body, so that
 * write waits for the server's ACK, which Linux delays by 40 ms: every submission, to either
 * server, takes 40 ms more, and with 20 connections the client's stalls, not the server,
 * bound the rate. Off by default so the figures stay comparable with earlier runs.
 */
function noDelaySocket(opts: { host?: string; port?: number }, cb: (err: Error | null, s?: { connection: net.Socket }) => void): void {
  const sock = net.connect({ host: opts.host, port: opts.port!, noDelay: true });
  sock.once("error", (err) => cb(err));
  sock.once("connect", () => cb(null, { connection: sock }));
}

interface Figures {
  rate: number;
  submitRate: number;
  p50: number;
  p99: number;
  delivered: number;
}

/** Submits N messages over `sessions` pooled connections, waits for the sink, and reports. */
async function load(name: string, o: Record<string, unknown>, transport: Record<string, unknown>, sink: ReturnType<typeof makeSink>, drain: boolean): Promise<Figures> {
  const N = o.messages as number;
  const accepted = new Float64Array(N);
  const recipients = Array.from({ length: o.recipients as number }, (_, i) => `rcpt${i}@sink.test`);
  const tr = nodemailer.createTransport({ pool: true, maxConnections: o.sessions as number, maxMessages: Infinity, ...(o["client-nodelay"] ? { getSocket: noDelaySocket } : {}), ...(transport as object) });
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
  if (drain) {
    drainStart = performance.now();
    await sink.listen();
  }
  await sink.wait(120_000);
  const count = sink.count();
  if (count < N) console.error(`${name}: only ${count} of ${N} messages reached the sink within 2 minutes of the last submission`);
  const lat = sortedCopy(Array.from(sink.arrived, (a, i) => a - accepted[i]).filter((x, i) => sink.arrived[i] > 0 && Number.isFinite(x)));
  const total = (sink.lastArrival() - t0) / 1000;
  const f: Figures = { rate: count / total, submitRate: N / ((submitted - t0) / 1000), p50: percentile(lat, 50), p99: percentile(lat, 99), delivered: count };
  console.log(`${name}: submitted in ${fmt((submitted - t0) / 1000, 2)} s (${fmt(f.submitRate, 0)} msgs/s)`);
  console.log(`${name}: delivered to the sink: ${count} in ${fmt(total, 2)} s = ${fmt(f.rate, 0)} msgs/s end to end`);
  console.log(`${name}: queue latency (submission 250 -> sink 250): p50 ${fmt(f.p50, 0)} ms, p99 ${fmt(f.p99, 0)} ms`);
  if (drain) {
    const drained = (sink.lastArrival() - drainStart) / 1000;
    console.log(`${name}: drain: the backlog of ${count} reached the sink ${fmt(drained, 2)} s after the sink started = ${fmt(count / drained, 0)} msgs/s (delivery alone)`);
  }
  return f;
}

/** The same load through a private Postfix (bench/lib/postfix.ts) relaying to a sink of its own. */
async function postfixSide(o: Record<string, unknown>): Promise<Figures | null> {
  if (o["no-postfix"]) return null;
  if (!postfixInstalled()) {
    console.log("postfix: not installed, comparison skipped (apt-get install postfix; the system instance need not run)");
    return null;
  }
  const sinkPort = await freePort();
  const sink = makeSink(o.messages as number, sinkPort);
  if (!o.drain) await sink.listen();
  const port = await freePort();
  const pf = await createPostfix({ port, domain: "bench.test", localPart: "sender", hostname: "postfix.bench.test", relayTo: { host: "127.0.0.1", port: sinkPort } });
  try {
    await pf.start();
    await waitForSmtp(port);
    console.log(`postfix ${pf.version}: the same load, relayed to a sink (plain SMTP from mynetworks: no TLS, no AUTH)`);
    return await load("postfix", o, { host: "127.0.0.1", port, secure: false, ignoreTLS: true }, sink, Boolean(o.drain));
  } finally {
    await pf.stop();
    pf.cleanup();
    await sink.close();
  }
}

export async function run(argv: string[]): Promise<number> {
  const o = parseOptions(argv, SPEC);
  const N = o.messages as number;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-outbound-"));
  const sinkPort = await freePort();
  const submissionPort = await freePort();
  const sink = makeSink(N, sinkPort);
  if (!o.drain) await sink.listen();
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
  let ours: Figures | null = null;
  try {
    await waitForSmtp(submissionPort, { alive: engine.exited });
    console.log(`outbound: ${N} messages of ~${o.size} B for ${o.recipients} recipients at sink.test, ${o.sessions} submission connections, ${config.provider}`);
    const cpuBefore = cpuSeconds(engine.pid);
    ours = await load("ours", o, { host: "127.0.0.1", port: submissionPort, secure: false, requireTLS: true, tls: { rejectUnauthorized: false }, auth: { user: "sender@bench.test", pass: "bench password" } }, sink, Boolean(o.drain));
    if (ours.delivered < N) code = 1;
    const cpu = cpuSeconds(engine.pid) - cpuBefore;
    console.log(`ours: engine peak RSS ${fmt(engine.peakRss() / 1048576, 0)} MB; engine CPU ${fmt(cpu, 1)} s = ${fmt((cpu * 1000) / Math.max(1, ours.delivered), 2)} ms per message`);
  } finally {
    await engine.stop();
    await sink.close();
    await dns.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  const theirs = await postfixSide(o);
  if (ours && theirs) {
    console.log(`ratio ours/postfix, delivered msgs/s end to end: ${fmt(ours.rate / theirs.rate, 2)} (ours ${fmt(ours.rate, 0)}, postfix ${fmt(theirs.rate, 0)}); queue latency p50 ${fmt(ours.p50, 0)} vs ${fmt(theirs.p50, 0)} ms`);
  }
  return code;
}
