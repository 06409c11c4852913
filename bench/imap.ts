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

async function median(runs: number, once: () => Promise<number>): Promise<number> {
  await once(); // warm-up: caches, prepared statements, Dovecot's index and cache file
  const times: number[] = [];
  for (let r = 0; r < runs; r++) times.push(await once());
  return percentile(sortedCopy(times), 50);
}

const now = () => Number(process.hrtime.bigint()) / 1e6;

async function timeOps(server: Server, opts: { runs: number; messages: number; subjectWord: string; textWord: string }): Promise<Results> {
  const res: Results = { ms: new Map(), notes: new Map() };
  res.ms.set(
    ROWS[0],
    await median(opts.runs, async () => {
      const t0 = now();
      const c = await signedIn(server);
      const t = now() - t0;
      await c.logout();
      return t;
    }),
  );
  const c = await signedIn(server);
  try {
    let count = 0;
    res.ms.set(
      ROWS[1],
      await median(opts.runs, async () => {
        const t0 = now();
        const r = await c.command("UID FETCH 1:* (UID FLAGS ENVELOPE RFC822.SIZE BODYSTRUCTURE)");
        count = r.untaggedCount;
        return now() - t0;
      }),
    );
    res.notes.set(ROWS[1], `${count} messages`);
    if (count !== opts.messages) throw new Error(`${server.name}: FETCH 1:* returned ${count} messages, expected ${opts.messages}`);

    const search = async (row: string, criteria: string) => {
      let hits = 0;
      res.ms.set(
        row,
        await median(opts.runs, async () => {
          const t0 = now();
          const r = await c.command(`UID SEARCH ${criteria}`, { keep: true });
          const t = now() - t0;
          const line = r.untagged.find((l) => /^\* SEARCH/i.test(l)) ?? "";
          hits = line.split(" ").length - 2;
          return t;
        }),
      );
      res.notes.set(row, `${criteria}: ${hits} matches`);
    };
    await search(ROWS[2], `SUBJECT ${opts.subjectWord}`);
    await search(ROWS[3], `TEXT ${opts.textWord}`);

    const uids = (await c.command("UID SEARCH ALL", { keep: true })).untagged.find((l) => /^\* SEARCH/i.test(l))!.split(" ").slice(2).map(Number);
    const picks = Array.from({ length: 100 }, (_, i) => uids[Math.floor((i * uids.length) / 100)]);
    let bytes = 0;
    res.ms.set(
      ROWS[4],
      await median(opts.runs, async () => {
        bytes = 0;
        const t0 = now();
        for (const uid of picks) bytes += (await c.command(`UID FETCH ${uid} BODY.PEEK[]`)).bytes;
        return now() - t0;
      }),
    );
    res.notes.set(ROWS[4], `${(bytes / 1024).toFixed(0)} KB`);

    res.ms.set(
      ROWS[5],
      await median(opts.runs, async () => {
        const t0 = now();
        await c.command("UID STORE 1:* +FLAGS (\\Seen)");
        const t = now() - t0;
        await c.command("UID STORE 1:* -FLAGS.SILENT (\\Seen)");
        return t;
      }),
    );
  } finally {
    await c.logout();
  }
  return res;
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

async function runOurs(corpus: CorpusMessage[], opts: { runs: number; idle: number; subjectWord: string; textWord: string; profile?: string; keep: boolean; dataDir?: string }, cleanups: Array<() => Promise<void> | void>): Promise<Results> {
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

  const res = await timeOps(server, { ...opts, messages: corpus.length });
  res.perSession = (after - before) / opts.idle;
  res.memoryNote = `engine RSS ${mb(before)} -> ${mb(after)} with ${opts.idle} idle signed-in connections (+${mb(after - before)}; sign-ins took ${(loginMs / 1000).toFixed(1)} s)`;
  if (engine.exited()) throw new Error(engine.exited()!);
  return res;
}

async function runDovecot(corpus: CorpusMessage[], opts: { runs: number; idle: number; subjectWord: string; textWord: string; keep: boolean; password: string }, cleanups: Array<() => Promise<void> | void>): Promise<Results> {
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
  const res = await timeOps(server, { ...opts, messages: corpus.length });

  await settle();
  const conns = await openIdle(server, opts.idle);
  await settle();
  const pids = dc.imapPids();
  const rss = pids.reduce((a, p) => a + statusKb(p, "VmRSS"), 0);
  const pssSum = pids.reduce((a, p) => a + pss(p), 0);
  res.perSession = rss / pids.length;
  res.memoryNote = `${pids.length} imap processes for ${opts.idle} idle sessions: RSS ${mb(rss / pids.length, 1)} each, PSS ${mb(pssSum / pids.length, 1)} each (${mb(pssSum)} in all)`;
  for (const c of conns) c.close();
  return res;
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
    runs: opts.runs as number,
    subjectWord: opts["subject-word"] as string,
    textWord: opts["text-word"] as string,
    keep: Boolean(opts.keep),
  };
  const wantDovecot = !opts["no-dovecot"];
  if (wantDovecot && !dovecotInstalled()) console.log("dovecot-imapd is not installed (apt-get install dovecot-imapd): our side only");
  const corpus = loadCorpus(opts.messages as number);
  const bytes = corpus.reduce((a, m) => a + m.raw.length, 0);
  console.log(`mailbox: ${corpus.length} messages from the SpamAssassin corpus, ${(bytes / 1024 / 1024).toFixed(1)} MB, ${corpus.filter((m) => /^content-type:\s*multipart\//im.test(m.raw.subarray(0, 4096).toString("latin1"))).length} multipart`);
  // Each side's server is stopped before the other's runs, so they never share the CPU.
  const side = async <T>(fn: (cleanups: Array<() => Promise<void> | void>) => Promise<T>): Promise<T> => {
    const cleanups: Array<() => Promise<void> | void> = [];
    try {
      return await fn(cleanups);
    } finally {
      for (const c of cleanups.reverse()) await c();
    }
  };
  let ours: Results | null = null;
  let dc: Results | null = null;
  if (!opts["dovecot-only"]) ours = await side((c) => runOurs(corpus, { ...common, idle: opts.idle as number, profile: opts.profile as string | undefined, dataDir: opts["data-dir"] as string | undefined }, c));
  if (wantDovecot && dovecotInstalled()) dc = await side((c) => runDovecot(corpus, { ...common, idle: opts["dovecot-idle"] as number, password: opts["dovecot-password"] as string }, c));
  table(ours, dc);
  const fails: string[] = [];
  if (ours && dc) for (const row of ROWS) if ((ours.ms.get(row) ?? 0) > (dc.ms.get(row) ?? Infinity)) fails.push(`${row} slower than Dovecot`);
  if (ours && dc && (ours.ms.get(ROWS[3]) ?? 0) * 10 > (dc.ms.get(ROWS[3]) ?? 0)) fails.push("SEARCH TEXT not 10x faster than Dovecot");
  if (ours?.perSession !== undefined && ours.perSession * (opts.idle as number) >= 100 * 1024 * 1024) fails.push(`${opts.idle} idle connections add 100 MB or more`);
  console.log(fails.length ? `targets missed: ${fails.join("; ")}` : "targets met");
  return 0;
}
