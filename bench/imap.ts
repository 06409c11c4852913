/**
 * imap: a mailbox of N real messages (the SpamAssassin corpus, 2–20 KB, topped up to N,
 * some multipart with attachments; bench/lib/corpus.ts) delivered into our store through
 * MailStore.deliver, served by the compiled engine as npm start runs it; and, when
 * Debian's dovecot-imapd is installed, the same messages in a private Dovecot's Maildir.
 * A raw-socket client (bench/lib/imap-client.ts) times, as medians of R runs after one
 * warm-up: LOGIN+SELECT on a new connection; UID FETCH 1:* (UID FLAGS ENVELOPE
 * RFC822.SIZE BODYSTRUCTURE); UID SEARCH SUBJECT and TEXT for a word; 100 × UID FETCH
 * BODY.PEEK[]; UID STORE 1:* +FLAGS (\Seen) (cleared again between runs); then the RSS
 * the engine adds with 1,000 idle signed-in connections, and Dovecot's memory per
 * session (one imap process each). Prints ours, Dovecot's and ours/Dovecot per row.
 * Both servers are up together and their runs alternate (timeOps), so a shared machine's
 * load falls on both columns alike.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadConfig, type Config } from "../lib/config";
import { migrate } from "../lib/db/migrate";
import { createDb } from "../lib/db/client";
import { addAccount, addDomain } from "../lib/directory";
import { openStore } from "../lib/store";
import { parseOptions, usage, UsageError, type OptionSpec } from "./lib/args";
import { hashPassword } from "../lib/auth/password";
import { spawnEngine } from "./lib/engine";
import { loadCorpus, type CorpusMessage } from "./lib/corpus";
import { createDovecot, dovecotInstalled, type DovecotInstance } from "./lib/dovecot";
import { ImapConnection, quoted, waitForImap } from "./lib/imap-client";
import { freePort } from "./lib/net";
import { fmt, percentile, sortedCopy } from "./lib/stats";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const EMAIL = "bench@bench.test";
const PASSWORD = "bench-password-imap-1";

const SPEC: Record<string, OptionSpec> = {
  messages: { type: "int", default: 10000, help: "messages in the mailbox" },
  runs: { type: "int", default: 5, help: "timed runs of each operation; the median is shown" },
  idle: { type: "int", default: 1000, help: "idle signed-in connections for the engine's memory" },
  "dovecot-idle": { type: "int", default: 200, help: "idle sessions for Dovecot's per-session memory (one process each)" },
  "peek-warmup": { type: "int", default: 20, help: "untimed runs of 100 x BODY.PEEK[] before the timed ones (our JIT's warm-up; 1 = as the other rows)" },
  "subject-word": { type: "string", default: "perl", help: "the word for UID SEARCH SUBJECT" },
  "text-word": { type: "string", default: "python", help: "the word for UID SEARCH TEXT" },
  "no-dovecot": { type: "flag", help: "skip the Dovecot side" },
  "dovecot-password": { type: "string", default: "argon2id", help: "how Dovecot stores the password: argon2id (the same hash and parameters our sign-in checks) or plain" },
  "dovecot-only": { type: "flag", help: "run only the Dovecot side" },
  profile: { type: "string", help: "write a V8 CPU profile of the engine (--cpu-prof) into this directory" },
  keep: { type: "flag", help: "keep the temporary directories and print where they are" },
  "data-dir": { type: "string", help: "our DATA_DIR, kept: filled on the first run, reused without delivering again when it holds the mailbox" },
};

export function help(): string {
  return usage(SPEC);
}

interface Server {
  name: string;
  port: number;
  user: string;
  password: string;
}

interface Results {
  /** Median ms per timed operation, by row name. */
  ms: Map<string, number>;
  notes: Map<string, string>;
  /** Bytes of memory per idle session, and what was measured. */
  perSession?: number;
  memoryNote?: string;
}

const ROWS = ["LOGIN+SELECT", "UID FETCH 1:* (ENVELOPE BODYSTRUCTURE ...)", "UID SEARCH SUBJECT", "UID SEARCH TEXT", "100 x BODY.PEEK[]", "UID STORE 1:* +FLAGS (\\Seen)"];

async function signedIn(server: Server, select = true): Promise<ImapConnection> {
  const c = await ImapConnection.connect(server.port);
  await c.command(`LOGIN ${quoted(server.user)} ${quoted(server.password)}`);
  if (select) await c.command("SELECT INBOX");
  return c;
}

const now = () => Number(process.hrtime.bigint()) / 1e6;

/** One server's side of the timed runs: its connection (signed in, Inbox selected) and what its runs found. */
interface Side {
  server: Server;
  c: ImapConnection;
  res: Results;
  picks: number[];
}

/** One timed operation: returns its ms and may note what it saw (matches, bytes) in `side.res.notes`; `warmups` untimed runs first (1 unless said). */
type Op = { row: string; warmups?: number; once(side: Side): Promise<number> };

function ops(opts: { messages: number; subjectWord: string; textWord: string; peekWarmup: number }): Op[] {
  const search = (row: string, criteria: string): Op => ({
    row,
    async once(side) {
      const t0 = now();
      const r = await side.c.command(`UID SEARCH ${criteria}`, { keep: true });
      const t = now() - t0;
      const line = r.untagged.find((l) => /^\* SEARCH/i.test(l)) ?? "";
      side.res.notes.set(row, `${criteria}: ${line.split(" ").length - 2} matches`);
      return t;
    },
  });
  return [
    {
      row: ROWS[0],
      async once(side) {
        const t0 = now();
        const c = await signedIn(side.server);
        const t = now() - t0;
        await c.logout();
        return t;
      },
    },
    {
      row: ROWS[1],
      async once(side) {
        const t0 = now();
        const r = await side.c.command("UID FETCH 1:* (UID FLAGS ENVELOPE RFC822.SIZE BODYSTRUCTURE)");
        const t = now() - t0;
        if (r.untaggedCount !== opts.messages) throw new Error(`${side.server.name}: FETCH 1:* returned ${r.untaggedCount} messages, expected ${opts.messages}`);
        side.res.notes.set(ROWS[1], `${r.untaggedCount} messages`);
        return t;
      },
    },
    search(ROWS[2], `SUBJECT ${opts.subjectWord}`),
    search(ROWS[3], `TEXT ${opts.textWord}`),
    {
      row: ROWS[4],
      // V8 optimises a function after some thousands of calls: one warm-up run (100
      // commands) timed our one-message FETCH path half-compiled, where a server that has
      // run a while answers from optimised code (1.3-1.9 x Dovecot then, 0.85 after 2,000).
      warmups: opts.peekWarmup,
      async once(side) {
        let bytes = 0;
        const t0 = now();
        for (const uid of side.picks) bytes += (await side.c.command(`UID FETCH ${uid} BODY.PEEK[]`)).bytes;
        const t = now() - t0;
        side.res.notes.set(ROWS[4], `${(bytes / 1024).toFixed(0)} KB`);
        return t;
      },
    },
    {
      row: ROWS[5],
      async once(side) {
        const t0 = now();
        await side.c.command("UID STORE 1:* +FLAGS (\\Seen)");
        const t = now() - t0;
        await side.c.command("UID STORE 1:* -FLAGS.SILENT (\\Seen)");
        return t;
      },
    },
  ];
}

/**
 * Times every operation on each server, median of `runs` after one warm-up (caches,
 * prepared statements, Dovecot's index and cache file). With two servers their runs
 * alternate, the order swapped each run: on a shared machine a load that comes and goes
 * then falls on both columns alike, where timing one server after the other compared
 * different minutes of the machine. Each server is idle while the other's run goes.
 */
async function timeOps(servers: Server[], opts: { runs: number; messages: number; subjectWord: string; textWord: string; peekWarmup: number }): Promise<Results[]> {
  const sides: Side[] = [];
  try {
    for (const server of servers) {
      const c = await signedIn(server);
      sides.push({ server, c, res: { ms: new Map(), notes: new Map() }, picks: [] });
    }
    for (const side of sides) {
      const uids = (await side.c.command("UID SEARCH ALL", { keep: true })).untagged.find((l) => /^\* SEARCH/i.test(l))!.split(" ").slice(2).map(Number);
      side.picks = Array.from({ length: 100 }, (_, i) => uids[Math.floor((i * uids.length) / 100)]);
    }
    for (const op of ops(opts)) {
      const times = sides.map(() => [] as number[]);
      for (const side of sides) for (let w = 0; w < Math.max(1, op.warmups ?? 1); w++) await op.once(side); // warm-up
      for (let r = 0; r < opts.runs; r++) {
        const order = r % 2 === 0 ? sides.map((_, i) => i) : sides.map((_, i) => sides.length - 1 - i);
        for (const i of order) times[i].push(await op.once(sides[i]));
      }
      sides.forEach((side, i) => side.res.ms.set(op.row, percentile(sortedCopy(times[i]), 50)));
      if (sides.length === 2) {
        const ratios = times[0].map((t, r) => t / times[1][r]);
        sides[0].res.notes.set(op.row, `${sides[0].res.notes.get(op.row) ?? ""}${sides[0].res.notes.has(op.row) ? "; " : ""}per-run ratios ${fmt(Math.min(...ratios), 2)}-${fmt(Math.max(...ratios), 2)}`);
      }
    }
  } finally {
    for (const side of sides) await side.c.logout();
  }
  return sides.map((s) => s.res);
}

/** Opens `n` signed-in idle connections, a few sign-ins at a time (each costs the server a password hash). */
async function openIdle(server: Server, n: number): Promise<ImapConnection[]> {
  const conns: ImapConnection[] = [];
  let next = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      conns.push(await signedIn(server, false));
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return conns;
}

function statusKb(pid: number, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, "m").exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * 1024 : NaN;
}

function pss(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

async function settle(): Promise<void> {
  await new Promise((r) => setTimeout(r, 1500));
}

/** A server up and ready for the timed runs, with what was measured of it before them. */
interface Started {
  server: Server;
  /** Our memory (measured first, on the fresh engine); Dovecot's is measured after the runs. */
  memory?: Pick<Results, "perSession" | "memoryNote">;
  /** Called after the timed runs (Dovecot's per-session memory); throws when the server died. */
  after(res: Results): Promise<void>;
}

async function startOurs(corpus: CorpusMessage[], opts: { idle: number; profile?: string; keep: boolean; dataDir?: string }, cleanups: Array<() => Promise<void> | void>): Promise<Started> {
  const dataDir = opts.dataDir ? path.resolve(opts.dataDir) : fs.mkdtempSync(path.join(os.tmpdir(), "bench-imap-"));
  if (opts.dataDir) fs.mkdirSync(dataDir, { recursive: true });
  if (opts.keep || opts.dataDir) console.log(`ours: DATA_DIR kept at ${dataDir}`);
  else cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    DATABASE_URL: `file:${path.join(dataDir, "mail.db")}`,
    MAIL_HOSTNAME: "mail.bench.test",
    BIND_ADDRESS: "127.0.0.1",
    SMTP_PORT: "0",
    SUBMISSION_PORT: "0",
    SUBMISSIONS_PORT: "0",
    IMAP_PORT: String(port),
    IMAPS_PORT: "0",
    POP3_PORT: "0",
    POP3S_PORT: "0",
    LOG_LEVEL: "warn",
  };
  const config: Config = loadConfig(env as NodeJS.ProcessEnv);
  await migrate(config);
  const db = await createDb(config);
  const started = now();
  const filled = opts.dataDir ? await db.message.count({ where: { account: { email: EMAIL } } }) : 0;
  if (filled && filled !== corpus.length) throw new Error(`${dataDir} holds ${filled} messages, not ${corpus.length}: use another --data-dir`);
  if (filled) console.log(`ours: reusing the ${filled} messages in ${dataDir}`);
  else try {
    await addDomain(db, "bench.test", "bench");
    const account = (await addAccount(db, { email: EMAIL, password: PASSWORD }, "bench")).id;
    const store = openStore(config, db);
    try {
      for (let i = 0; i < corpus.length; i += 128) {
        await Promise.all(corpus.slice(i, i + 128).map((m, j) => store.deliver({ raw: m.raw, queueId: `imap${i + j}`, targets: [{ accountId: account }], internalDate: m.date })));
      }
    } finally {
      await store.close();
    }
  } finally {
    await db.$disconnect();
  }
  if (!filled) console.log(`ours: ${corpus.length} messages delivered through MailStore.deliver in ${((now() - started) / 1000).toFixed(1)} s`);

  const nodeArgs: string[] = [];
  if (opts.profile) {
    fs.mkdirSync(opts.profile, { recursive: true });
    nodeArgs.push("--cpu-prof", `--cpu-prof-dir=${path.resolve(opts.profile)}`);
  }
  const engine = spawnEngine({ root: ROOT, env, nodeArgs });
  cleanups.push(() => engine.stop(5000).then(() => undefined));
  await waitForImap(port, { alive: engine.exited });
  const server: Server = { name: "ours", port, user: EMAIL, password: PASSWORD };

  // Memory first, on the engine as it starts (one sign-in made, so the password code is
  // loaded): after the timed runs its heap holds their garbage and the difference drowns.
  (await signedIn(server, false)).close();
  await settle();
  const before = statusKb(engine.pid, "VmRSS");
  const t0 = now();
  const conns = await openIdle(server, opts.idle);
  const loginMs = now() - t0;
  await settle();
  const after = statusKb(engine.pid, "VmRSS");
  for (const c of conns) c.close();
  await settle(); // the 1,000 sessions' close events handled before any timed run

  return {
    server,
    memory: {
      perSession: (after - before) / opts.idle,
      memoryNote: `engine RSS ${mb(before)} -> ${mb(after)} with ${opts.idle} idle signed-in connections (+${mb(after - before)}; sign-ins took ${(loginMs / 1000).toFixed(1)} s)`,
    },
    async after() {
      if (engine.exited()) throw new Error(engine.exited()!);
    },
  };
}

async function startDovecot(corpus: CorpusMessage[], opts: { idle: number; keep: boolean; password: string }, cleanups: Array<() => Promise<void> | void>): Promise<Started> {
  const port = await freePort();
  if (opts.password !== "argon2id" && opts.password !== "plain") throw new UsageError("--dovecot-password is argon2id or plain");
  // argon2id: our own hash function (lib/auth/password.ts, its parameters), which Dovecot's libsodium verifies.
  const passwordHash = opts.password === "argon2id" ? async (p: string) => `{ARGON2ID}${await hashPassword(p)}` : undefined;
  const dc: DovecotInstance = await createDovecot({ port, maxSessions: opts.idle, passwordHash });
  console.log(`dovecot: password stored as ${opts.password === "argon2id" ? "{ARGON2ID} with our parameters" : "{PLAIN}"}`);
  if (opts.keep) console.log(`dovecot: kept at ${dc.dir}`);
  else cleanups.push(() => dc.cleanup());
  const started = now();
  dc.fill(corpus);
  console.log(`dovecot ${dc.version}: ${corpus.length} messages written to its Maildir in ${((now() - started) / 1000).toFixed(1)} s`);
  await dc.start();
  cleanups.push(() => dc.stop());
  await waitForImap(port);
  const server: Server = { name: "dovecot", port, user: dc.user, password: dc.password };
  return {
    server,
    async after(res) {
      await settle();
      const conns = await openIdle(server, opts.idle);
      await settle();
      const pids = dc.imapPids();
      const rss = pids.reduce((a, p) => a + statusKb(p, "VmRSS"), 0);
      const pssSum = pids.reduce((a, p) => a + pss(p), 0);
      res.perSession = rss / pids.length;
      res.memoryNote = `${pids.length} imap processes for ${opts.idle} idle sessions: RSS ${mb(rss / pids.length, 1)} each, PSS ${mb(pssSum / pids.length, 1)} each (${mb(pssSum)} in all)`;
      for (const c of conns) c.close();
    },
  };
}

function mb(bytes: number, digits = 0): string {
  return Number.isFinite(bytes) ? `${(bytes / 1024 / 1024).toFixed(digits)} MB` : "n/a";
}

function table(ours: Results | null, dc: Results | null): void {
  const w = Math.max(...ROWS.map((r) => r.length)) + 2;
  console.log(`\n${"operation".padEnd(w)} ${"ours ms".padStart(9)} ${"Dovecot ms".padStart(11)} ${"ratio".padStart(6)}`);
  for (const row of ROWS) {
    const a = ours?.ms.get(row) ?? NaN;
    const b = dc?.ms.get(row) ?? NaN;
    const note = [ours?.notes.get(row), dc?.notes.get(row)].filter(Boolean).map((n, i, all) => (all.length > 1 ? `${i ? "Dovecot" : "ours"}: ${n}` : n));
    console.log(`${row.padEnd(w)} ${fmt(a).padStart(9)} ${fmt(b).padStart(11)} ${fmt(a / b, 2).padStart(6)}  ${note.join("; ")}`);
  }
  const a = ours?.perSession ?? NaN;
  const b = dc?.perSession ?? NaN;
  console.log(`${"memory per idle session".padEnd(w)} ${(fmt(a / 1024, 0) + " KB").padStart(9)} ${(fmt(b / 1024, 0) + " KB").padStart(11)} ${fmt(a / b, 2).padStart(6)}`);
  if (ours?.memoryNote) console.log(`ours: ${ours.memoryNote}`);
  if (dc?.memoryNote) console.log(`Dovecot: ${dc.memoryNote}`);
}

export async function run(argv: string[]): Promise<number> {
  const opts = parseOptions(argv, SPEC);
  const common = {
    subjectWord: opts["subject-word"] as string,
    textWord: opts["text-word"] as string,
    keep: Boolean(opts.keep),
  };
  const wantDovecot = !opts["no-dovecot"];
  if (wantDovecot && !dovecotInstalled()) console.log("dovecot-imapd is not installed (apt-get install dovecot-imapd): our side only");
  const corpus = loadCorpus(opts.messages as number);
  const bytes = corpus.reduce((a, m) => a + m.raw.length, 0);
  console.log(`mailbox: ${corpus.length} messages from the SpamAssassin corpus, ${(bytes / 1024 / 1024).toFixed(1)} MB, ${corpus.filter((m) => /^content-type:\s*multipart\//im.test(m.raw.subarray(0, 4096).toString("latin1"))).length} multipart`);
  // Both servers up, their timed runs interleaved (timeOps); each idle while the other runs.
  const cleanups: Array<() => Promise<void> | void> = [];
  let ours: Results | null = null;
  let dc: Results | null = null;
  try {
    const started: Started[] = [];
    if (!opts["dovecot-only"]) started.push(await startOurs(corpus, { ...common, idle: opts.idle as number, profile: opts.profile as string | undefined, dataDir: opts["data-dir"] as string | undefined }, cleanups));
    if (wantDovecot && dovecotInstalled()) started.push(await startDovecot(corpus, { ...common, idle: opts["dovecot-idle"] as number, password: opts["dovecot-password"] as string }, cleanups));
    const results = await timeOps(
      started.map((s) => s.server),
      { ...common, runs: opts.runs as number, messages: corpus.length, peekWarmup: opts["peek-warmup"] as number },
    );
    for (let i = 0; i < started.length; i++) {
      Object.assign(results[i], started[i].memory);
      await started[i].after(results[i]);
      if (started[i].server.name === "ours") ours = results[i];
      else dc = results[i];
    }
  } finally {
    for (const c of cleanups.reverse()) await c();
  }
  table(ours, dc);
  const fails: string[] = [];
  if (ours && dc) for (const row of ROWS) if ((ours.ms.get(row) ?? 0) > (dc.ms.get(row) ?? Infinity)) fails.push(`${row} slower than Dovecot`);
  if (ours && dc && (ours.ms.get(ROWS[3]) ?? 0) * 10 > (dc.ms.get(ROWS[3]) ?? 0)) fails.push("SEARCH TEXT not 10x faster than Dovecot");
  if (ours?.perSession !== undefined && ours.perSession * (opts.idle as number) >= 100 * 1024 * 1024) fails.push(`${opts.idle} idle connections add 100 MB or more`);
  console.log(fails.length ? `targets missed: ${fails.join("; ")}` : "targets met");
  return 0;
}
