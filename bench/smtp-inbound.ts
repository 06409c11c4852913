/**
 * smtp-inbound: N concurrent SMTP sessions deliver M messages of about S bytes to one
 * mailbox over the MX port. Prints accepted messages per second (our 250 means the blob
 * is fsynced and the SQLite/PostgreSQL commit is on disk), p50/p99 per-message latency
 * (MAIL FROM to the reply after the data), the engine's peak RSS, and checks that the
 * recipient's INBOX holds one row per accepted message. When Debian's Postfix is
 * installed, the same load runs against a private Postfix instance delivering to a
 * Maildir, and the ratio ours/Postfix is printed.
 *
 * `--new-connection` gives every message its own TCP connection, as an MX sees real
 * traffic. The load comes from 127.0.0.2 (`--source`), which our engine treats as an
 * outside client: the greeting pause and its pass cache apply (one warm-up connection
 * first, as from a sender that has talked to this MX before); only the per-address
 * connection rate limit is lifted, since one address sends thousands a minute here
 * (Postfix's own default, smtpd_client_connection_rate_limit = 0, has none either).
 *
 * The MX checks every message from an outside client (SPF, DKIM, DMARC, ARC): a loopback
 * DNS server publishes the sender domain's SPF (the source address), DMARC (p=reject) and
 * DKIM key, and each message is DKIM-signed (`--dkim rsa|ed25519|none`), as most real
 * inbound mail is. The Postfix side gets the same signed messages and checks nothing.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { loadConfig, type Config } from "../lib/config";
import { migrate } from "../lib/db/migrate";
import { createDb } from "../lib/db/client";
import { addAccount, addDomain } from "../lib/directory";
import { parseOptions, usage, UsageError, type OptionSpec } from "./lib/args";
import { cpuSeconds, spawnEngine, treeRssSampler, type EngineProcess } from "./lib/engine";
import { messageFactory } from "./lib/message";
import { freePort, waitForSmtp } from "./lib/net";
import { createPostfix, postfixInstalled, type PostfixInstance } from "./lib/postfix";
import { runLoad, warmUp, type LoadResult } from "./lib/smtp-load";
import { fmt, mb, percentile, sortedCopy } from "./lib/stats";
import { startDnsServer } from "../test/helpers/dns-server";
import { dkimSignatures } from "../lib/dkim/sign";
import { dkimTxt, type DkimKeyRow } from "../lib/dkim/keys";
import type { MessageFactory } from "./lib/message";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DOMAIN = "bench.test";
const LOCAL_PART = "inbox";
const RECIPIENT = `${LOCAL_PART}@${DOMAIN}`;
const SENDER = "newsletter@sender.example";
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL || "warn";

const SPEC: Record<string, OptionSpec> = {
  messages: { type: "int", default: 5000, help: "messages to deliver" },
  sessions: { type: "int", default: 20, help: "concurrent SMTP sessions sharing the messages" },
  size: { type: "int", default: 4096, help: "approximate message size in bytes" },
  postgres: { type: "string", help: "run our engine on PostgreSQL: a URL whose server lets us CREATE DATABASE (a fresh database is made and dropped)" },
  "no-postfix": { type: "flag", help: "skip the Postfix side-by-side run" },
  "postfix-only": { type: "flag", help: "run only the Postfix side (for tuning the comparison)" },
  "blob-store": { type: "string", default: "file", help: "the engine's BLOB_STORE: file or database" },
  "inline-max": { type: "string", default: "65536", help: "the engine's BLOB_INLINE_MAX (0: every message a file)" },
  profile: { type: "string", help: "write a V8 CPU profile of the engine (--cpu-prof) into this directory" },
  keep: { type: "flag", help: "keep the temporary data directories and print where they are" },
  "new-connection": { type: "flag", help: "one TCP connection per message (connect, EHLO, transaction, QUIT), as an MX sees real traffic" },
  source: { type: "string", default: "127.0.0.2", help: "client address the load comes from (127.0.0.1 is exempt from our connection policy and checks; 127.0.0.2 is not)" },
  dkim: { type: "string", default: "rsa", help: "DKIM-sign each message with a 2048-bit rsa key, an ed25519 key, or none" },
};

const SENDER_DOMAIN = SENDER.split("@")[1];

/** A DKIM key for the sender domain, or null for --dkim none. */
function senderKey(kind: string): DkimKeyRow | null {
  if (kind === "none") return null;
  if (kind !== "rsa" && kind !== "ed25519") throw new UsageError(`--dkim must be rsa, ed25519 or none, got ${kind}`);
  const pair = kind === "rsa" ? crypto.generateKeyPairSync("rsa", { modulusLength: 2048 }) : crypto.generateKeyPairSync("ed25519");
  const spki = pair.publicKey.export({ type: "spki", format: "der" });
  return {
    id: "bench", selector: "bench", algorithm: kind === "rsa" ? "rsa-sha256" : "ed25519-sha256", active: true, createdAt: new Date(), retiredAt: null,
    privateKey: pair.privateKey.export({ type: "pkcs8", format: "pem" }) as string,
    publicKey: (kind === "rsa" ? spki : spki.subarray(-32)).toString("base64"),
  };
}

/** The factory's messages with a DKIM-Signature on top (the generated text needs no dot-stuffing). */
function signedFactory(inner: MessageFactory, key: DkimKeyRow | null): MessageFactory {
  if (!key) return inner;
  return {
    approxSize: inner.approxSize,
    wire(n) {
      const wire = inner.wire(n);
      return Buffer.concat([Buffer.from(dkimSignatures(wire.subarray(0, wire.length - 3), SENDER_DOMAIN, [key]), "latin1"), wire]);
    },
  };
}

export function help(): string {
  return usage(SPEC);
}

interface Side {
  name: string;
  load: LoadResult;
  acceptedRate: number;
  p50: number;
  p99: number;
  note: string;
  /** Peak RSS: the engine's own, and its whole process tree (ours); PSS sum (Postfix). */
  rss?: number;
  treeRss?: number;
}

function summarise(name: string, load: LoadResult, note = ""): Side {
  const sorted = sortedCopy(load.latenciesMs);
  return {
    name,
    load,
    acceptedRate: load.accepted / (load.elapsedMs / 1000),
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    note,
  };
}

function line(side: Side): string {
  return `${side.name.padEnd(9)}: ${fmt(side.acceptedRate, 0).padStart(5)} msgs/s accepted  p50 ${fmt(side.p50)} ms  p99 ${fmt(side.p99)} ms  ${side.note}`;
}

function printFailures(name: string, load: LoadResult) {
  if (load.failed === 0) return;
  console.log(`${name}: ${load.failed} message(s) FAILED; first failures:`);
  for (const f of load.failures) console.log(`  ${f}`);
}

/** A fresh PostgreSQL database next to the one `url` names; drop() removes it. */
async function freshPostgres(url: string): Promise<{ url: string; drop(): Promise<void> }> {
  const target = new URL(url);
  const name = `${(target.pathname.slice(1) || "mail").replace(/[^a-zA-Z0-9_]/g, "_")}_bench_${crypto.randomBytes(4).toString("hex")}`;
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const exec = async (sql: string) => {
    const c = new pg.Client({ connectionString: admin.toString() });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  try {
    await exec(`CREATE DATABASE "${name}"`);
  } catch (err) {
    throw new Error(`--postgres: cannot create a scratch database on ${admin.host}: ${(err as Error).message} (the role needs CREATEDB)`);
  }
  target.pathname = `/${name}`;
  return { url: target.toString(), drop: () => exec(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

interface RunOptions {
  key: DkimKeyRow | null;
  messages: number;
  sessions: number;
  size: number;
  newConnection: boolean;
  source: string;
  keep: boolean;
}

async function runOurs(opts: RunOptions & { postgres?: string; profile?: string; blobStore: string; inlineMax: string }, cleanups: Array<() => Promise<void> | void>): Promise<{ side: Side; rows: number; ok: boolean }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-smtp-inbound-"));
  if (opts.keep) console.log(`ours: DATA_DIR kept at ${dataDir}`);
  else cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  let databaseUrl = `file:${path.join(dataDir, "mail.db")}`;
  if (opts.postgres) {
    const scratch = await freshPostgres(opts.postgres);
    databaseUrl = scratch.url;
    if (!opts.keep) cleanups.push(() => scratch.drop());
  }
  const port = await freePort();
  const dns = await startDnsServer([
    { name: SENDER_DOMAIN, type: "TXT", data: `v=spf1 ip4:${opts.source} -all` },
    { name: `_dmarc.${SENDER_DOMAIN}`, type: "TXT", data: "v=DMARC1; p=reject" },
    ...(opts.key ? [{ name: `${opts.key.selector}._domainkey.${SENDER_DOMAIN}`, type: "TXT" as const, data: dkimTxt(opts.key) }] : []),
  ]);
  cleanups.push(() => dns.close());
  const env: Record<string, string> = {
    DNS_SERVERS: dns.address,
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    MAIL_HOSTNAME: "mx.bench.test",
    BIND_ADDRESS: "127.0.0.1",
    SMTP_PORT: String(port),
    SUBMISSION_PORT: "0",
    SUBMISSIONS_PORT: "0",
    IMAP_PORT: "0",
    IMAPS_PORT: "0",
    POP3_PORT: "0",
    POP3S_PORT: "0",
    LOG_LEVEL,
    BLOB_STORE: opts.blobStore,
    BLOB_INLINE_MAX: opts.inlineMax,
    // One source address sends thousands of connections a minute here; every other
    // policy setting (greeting pause, pass cache, deadlines, 50 at a time) is the default.
    SMTP_CLIENT_CONNECTION_RATE: "0",
  };
  const config: Config = loadConfig(env as NodeJS.ProcessEnv);

  // The domain and the one recipient, in the engine's own database, before it starts.
  await migrate(config);
  const setupDb = await createDb(config);
  try {
    await addDomain(setupDb, DOMAIN, "bench");
    await addAccount(setupDb, { email: RECIPIENT, password: "bench-password-not-used-1" }, "bench");
  } finally {
    await setupDb.$disconnect();
  }

  const nodeArgs: string[] = [];
  if (opts.profile) {
    fs.mkdirSync(opts.profile, { recursive: true });
    nodeArgs.push("--cpu-prof", `--cpu-prof-dir=${path.resolve(opts.profile)}`);
  }
  const engine: EngineProcess = spawnEngine({ root: ROOT, env, nodeArgs });
  cleanups.push(() => engine.stop(5000).then(() => undefined));
  await waitForSmtp(port, { timeoutMs: 60_000, alive: engine.exited });

  const factory = signedFactory(messageFactory({ size: opts.size, from: SENDER, to: RECIPIENT, clientHost: "relay.sender.example" }), opts.key);
  const warm = await warmUp(port, opts.source);
  if (warm.code !== 220) throw new Error(`ours: the warm-up connection from ${opts.source} got ${warm.text}`);
  const tree = treeRssSampler(engine.pid);
  const cpuBefore = cpuSeconds(engine.pid);
  const clientCpuBefore = process.cpuUsage();
  const load = await runLoad({ port, messages: opts.messages, sessions: opts.sessions, from: SENDER, to: RECIPIENT, factory, newConnection: opts.newConnection, localAddress: opts.source });
  const clientCpu = process.cpuUsage(clientCpuBefore);
  const engineCpu = cpuSeconds(engine.pid) - cpuBefore;
  const peak = engine.peakRss();
  const treePeak = tree.stop();
  const died = engine.exited();
  const code = await engine.stop();
  if (died) console.log(`ours: ${died}`);
  if (opts.profile) console.log(`ours: CPU profile written to ${path.resolve(opts.profile)} (open in Chrome DevTools > Performance, or speedscope)`);

  // Durability check: after the engine has exited, the INBOX holds one row per 250.
  const checkDb = await createDb(config);
  let rows = -1;
  try {
    rows = await checkDb.message.count({ where: { account: { email: RECIPIENT }, mailbox: { name: "INBOX" } } });
  } finally {
    await checkDb.$disconnect();
  }
  const queued = load.replies.filter((r) => /queued as \S+/.test(r)).length;
  const wall = load.elapsedMs / 1000;
  const side = summarise(
    "ours",
    load,
    `peak RSS ${mb(peak)} engine, ${mb(treePeak.peak)} process tree (${treePeak.processes} process${treePeak.processes === 1 ? "" : "es"})  (${rows}/${load.accepted} rows in INBOX)`,
  );
  side.rss = peak;
  side.treeRss = treePeak.peak;
  console.log(line(side));
  console.log(
    `           engine CPU ${fmt(engineCpu, 1)} s (${fmt((engineCpu / wall) * 100, 0)}% of one core, ${fmt((engineCpu * 1e6) / Math.max(1, load.accepted), 0)} us/msg); ` +
      `load generator CPU ${fmt((clientCpu.user + clientCpu.system) / 1e6, 1)} s (${fmt(((clientCpu.user + clientCpu.system) / 1e6 / wall) * 100, 0)}%); engine exit code ${code}`,
  );
  printFailures("ours", load);
  const ok = load.failed === 0 && rows === load.accepted && queued === load.accepted && !died;
  if (rows !== load.accepted) console.log(`ours: DURABILITY MISMATCH: ${load.accepted} messages got 250 but INBOX has ${rows} rows`);
  if (queued !== load.accepted) console.log(`ours: ${load.accepted - queued} 250 replies did not say "queued as <id>"`);
  return { side, rows, ok };
}

async function runPostfix(opts: RunOptions, cleanups: Array<() => Promise<void> | void>): Promise<{ side: Side; delivered: number; deliveredRate: number; ok: boolean }> {
  const port = await freePort();
  const pf: PostfixInstance = await createPostfix({ port, domain: DOMAIN, localPart: LOCAL_PART, hostname: "postfix.bench.test" });
  if (opts.keep) console.log(`postfix: instance kept at ${pf.dir}`);
  else cleanups.push(() => pf.cleanup());
  cleanups.push(() => pf.stop());
  await pf.start();
  await waitForSmtp(port, { timeoutMs: 30_000 });
  const factory = signedFactory(messageFactory({ size: opts.size, from: SENDER, to: RECIPIENT, clientHost: "relay.sender.example" }), opts.key);
  await warmUp(port, opts.source);
  const clientCpuBefore = process.cpuUsage();
  const load = await runLoad({ port, messages: opts.messages, sessions: opts.sessions, from: SENDER, to: RECIPIENT, factory, newConnection: opts.newConnection, localAddress: opts.source });
  const clientCpu = process.cpuUsage(clientCpuBefore);
  // Postfix's 250 means "queued" (queue file fsynced); delivery into the Maildir follows.
  // Give up when nothing new has been delivered for 30 s.
  let delivered = pf.delivered();
  let progressAt = Date.now();
  while (delivered < load.accepted && Date.now() - progressAt < 30_000) {
    await new Promise((r) => setTimeout(r, 20));
    const now = pf.delivered();
    if (now !== delivered) progressAt = Date.now();
    delivered = now;
  }
  const deliveredMs = performance.now() - load.startedAt;
  const pss = postfixPss(pf.dir);
  const procs = listPostfixPids(pf.dir).length;
  await pf.stop();
  const deliveredRate = delivered / (deliveredMs / 1000);
  const side = summarise(
    `postfix`,
    load,
    `${fmt(deliveredRate, 0)} msgs/s delivered  memory ${mb(pss)} PSS over ${procs} processes  (${delivered}/${load.accepted} files in Maildir)`,
  );
  side.treeRss = pss;
  console.log(line(side));
  const clientSeconds = (clientCpu.user + clientCpu.system) / 1e6;
  console.log(
    `           Postfix ${pf.version}, virtual(8) Maildir delivery, queue file and Maildir file fsynced; 250 = queued, delivery follows; ` +
      `load generator CPU ${fmt(clientSeconds, 1)} s (${fmt((clientSeconds / (load.elapsedMs / 1000)) * 100, 0)}%)`,
  );
  printFailures("postfix", load);
  if (delivered < load.accepted) console.log(`postfix: only ${delivered} of ${load.accepted} accepted messages delivered in time; its log ends:\n${pf.logTail(15)}`);
  return { side, delivered, deliveredRate, ok: load.failed === 0 && delivered === load.accepted };
}

/**
 * Memory of the private Postfix instance right after the load: the sum of PSS
 * (proportional set size, shared pages divided among their users) over its live
 * processes. Postfix is many processes, so a per-process peak is not comparable.
 */
function postfixPss(dir: string): number {
  let sum = 0;
  for (const pid of listPostfixPids(dir)) {
    try {
      const m = /^Pss:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"));
      if (m) sum += Number(m[1]) * 1024;
    } catch {
      /* exited meanwhile */
    }
  }
  return sum || NaN;
}

export async function run(argv: string[]): Promise<number> {
  const o = parseOptions(argv, SPEC);
  const opts = {
    messages: o.messages as number,
    sessions: o.sessions as number,
    size: o.size as number,
    postgres: o.postgres as string | undefined,
    profile: o.profile as string | undefined,
    blobStore: o["blob-store"] as string,
    inlineMax: o["inline-max"] as string,
    keep: !!o.keep,
    newConnection: !!o["new-connection"],
    source: o.source as string,
    key: senderKey(o.dkim as string),
  };
  if (!/^127\./.test(opts.source)) throw new UsageError(`--source must be a loopback address (127.x.y.z), got ${opts.source}`);
  const cleanups: Array<() => Promise<void> | void> = [];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await Promise.resolve().then(fn).catch(() => undefined);
    cleanups.length = 0;
  };
  const onSignal = () => {
    cleanup().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  const db = opts.postgres ? "PostgreSQL" : "SQLite";
  console.log(`smtp-inbound: ${opts.messages} messages x ${opts.size} B, ${opts.sessions} sessions, ${db}, LOG_LEVEL=${LOG_LEVEL} (engine logs warnings only, so logging cost does not dominate)`);
  console.log(`           one recipient <${RECIPIENT}>, MX port on 127.0.0.1, our 250 = blob fsynced + ${db} commit durable${opts.postgres ? "" : " (synchronous=FULL)"}`);
  console.log(
    `           ${opts.newConnection ? "a new TCP connection per message (connect, EHLO, MAIL, RCPT, DATA, QUIT)" : "connections reused for every message of a session"}, load from ${opts.source}` +
      `${opts.source === "127.0.0.1" ? " (exempt from our connection policy and checks)" : " (an outside client to our connection policy: greeting pause with pass cache, after one warm-up connection)"}`,
  );
  console.log(`           ${opts.key ? `messages DKIM-signed (${opts.key.algorithm})` : "messages unsigned"}; ours checks SPF, DKIM, DMARC (p=reject) and ARC against a loopback DNS server${opts.source === "127.0.0.1" ? " (skipped: exempt source)" : ""}`);
  let exit = 0;
  try {
    let ours: Side | null = null;
    if (!o["postfix-only"]) {
      const r = await runOurs(opts, cleanups);
      ours = r.side;
      if (!r.ok) exit = 1;
    }
    if (o["no-postfix"]) {
      console.log("postfix  : skipped (--no-postfix)");
    } else if (!postfixInstalled()) {
      console.log("postfix  : not installed, comparison skipped (install it with: apt-get install postfix; the system instance need not run)");
    } else if (process.getuid && process.getuid() !== 0) {
      console.log("postfix  : comparison skipped: a private Postfix instance must be started as root (master(8) drops to the postfix user itself)");
    } else {
      const r = await runPostfix(opts, cleanups);
      if (!r.ok) exit = 1;
      if (ours) {
        printSideBySide(ours, r.side, r.deliveredRate);
        console.log(`ratio ours/postfix (accepted msgs/s): ${fmt(ours.acceptedRate / r.side.acceptedRate, 2)}`);
        console.log(`ratio ours/postfix (ours accepted vs Postfix delivered msgs/s): ${fmt(ours.acceptedRate / r.deliveredRate, 2)}  (our 250 already means delivered to the mailbox)`);
      }
    }
  } finally {
    await cleanup();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  if (exit) console.log("smtp-inbound: FAILED (see above)");
  return exit;
}

/** Our figures and Postfix's in two columns, with the ratio where one makes sense. */
function printSideBySide(ours: Side, postfix: Side, postfixDelivered: number): void {
  const rows: Array<[string, string, string, string]> = [
    ["accepted msgs/s", fmt(ours.acceptedRate, 0), fmt(postfix.acceptedRate, 0), fmt(ours.acceptedRate / postfix.acceptedRate, 2)],
    ["delivered msgs/s", `${fmt(ours.acceptedRate, 0)} (250 = delivered)`, fmt(postfixDelivered, 0), fmt(ours.acceptedRate / postfixDelivered, 2)],
    ["p50 latency ms", fmt(ours.p50), fmt(postfix.p50), fmt(ours.p50 / postfix.p50, 2)],
    ["p99 latency ms", fmt(ours.p99), fmt(postfix.p99), fmt(ours.p99 / postfix.p99, 2)],
    ["memory", `${mb(ours.rss ?? NaN)} engine / ${mb(ours.treeRss ?? NaN)} tree (peak RSS)`, `${mb(postfix.treeRss ?? NaN)} (PSS after load)`, ""],
  ];
  const w = [18, 46, 26];
  console.log(`${"".padEnd(w[0])}${"ours".padEnd(w[1])}${"postfix".padEnd(w[2])}ratio ours/postfix`);
  for (const [name, a, b, r] of rows) console.log(`${name.padEnd(w[0])}${a.padEnd(w[1])}${b.padEnd(w[2])}${r}`);
}

/** Pids of Postfix daemons whose MAIL_CONFIG (master passes it on) is the private instance's. */
function listPostfixPids(dir: string): number[] {
  const out: number[] = [];
  const marker = `MAIL_CONFIG=${path.join(dir, "etc")}\0`;
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!fs.readlinkSync(`/proc/${entry}/exe`).startsWith("/usr/lib/postfix/sbin/")) continue;
      if (fs.readFileSync(`/proc/${entry}/environ`, "latin1").includes(marker)) out.push(Number(entry));
    } catch {
      /* gone, or not ours to read */
    }
  }
  return out;
}
