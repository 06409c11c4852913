/**
 * memory: the production suite as `npm start` runs it (compiled, scripts/start.mjs) on
 * random free ports in a temporary DATA_DIR. Reports each process's resident size
 * (VmRSS, from /proc) idle, then while N SMTP sessions deliver messages over the MX port
 * (the smtp-inbound load), and the whole process tree's peak; compares with the targets
 * of issue 13. Linux only (/proc).
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseOptions, usage, type OptionSpec } from "./lib/args";
import { cpuSeconds } from "./lib/engine";
import { messageFactory } from "./lib/message";
import { freePort, waitForSmtp } from "./lib/net";
import { runLoad } from "./lib/smtp-load";
import { fmt } from "./lib/stats";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DOMAIN = "bench.test";
const RECIPIENT = `inbox@${DOMAIN}`;
const SENDER = "newsletter@sender.example";
const MB = 1024 * 1024;

/** Issue 13's targets, in MB. */
const TARGETS = { engineIdle: 80, engineLoad: 150, tree: 350 };

const SPEC: Record<string, OptionSpec> = {
  messages: { type: "int", default: 3000, help: "messages delivered during the load phase" },
  sessions: { type: "int", default: 20, help: "concurrent SMTP sessions" },
  size: { type: "int", default: 4096, help: "approximate message size in bytes" },
  idle: { type: "int", default: 5, help: "seconds to wait after start-up (and after the load) before reading idle figures" },
  "node-options": { type: "string", help: "NODE_OPTIONS for the suite's processes, to try V8 flags (a flag given here replaces start's own default for it)" },
  root: { type: "string", help: "measure another checkout's `npm start` instead (e.g. an older commit unpacked with its node_modules), npm's own process included" },
  npm: { type: "flag", help: "start through `npm start` as a user does, npm's own process (about 50 MB) included in the tree" },
  "no-web": { type: "flag", help: "WEB_PORT=0: engine and supervisor only (no Next.js build needed)" },
  keep: { type: "flag", help: "keep the temporary data directory and print where it is" },
};

export function help(): string {
  return usage(SPEC);
}

interface Proc {
  pid: number;
  role: string;
  rss: number;
  hwm: number;
  threads: number;
}

function readStatus(pid: number): { rss: number; hwm: number; threads: number } | null {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, "m").exec(s)?.[1] ?? NaN) * 1024;
    return { rss: kb("VmRSS"), hwm: kb("VmHWM"), threads: Number(/^Threads:\s+(\d+)/m.exec(s)?.[1] ?? 0) };
  } catch {
    return null;
  }
}

function roleOf(pid: number): string {
  let cmd = "";
  try {
    cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
  } catch {}
  const argv0 = path.basename(cmd.split(" ")[0] || "?");
  if (argv0 === "npm" || argv0 === "sh") return argv0;
  if (/\/tsx /.test(cmd) && !cmd.includes("--import")) return "tsx"; // tsx's own CLI wrapper process
  if (cmd.includes("mail-engine")) return "engine";
  if (cmd.includes("scripts/start") || cmd.includes("scripts.start")) return "start";
  if (/next/.test(cmd)) return "web";
  return argv0;
}

/** The process and all its descendants, from /proc/<pid>/stat parent links. */
function tree(rootPid: number): Proc[] {
  const parent = new Map<number, number>();
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, "utf8");
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {}
  }
  const pids = [rootPid];
  for (let i = 0; i < pids.length; i++) for (const [pid, ppid] of parent) if (ppid === pids[i]) pids.push(pid);
  const out: Proc[] = [];
  for (const pid of pids) {
    const st = readStatus(pid);
    if (st) out.push({ pid, role: roleOf(pid), ...st });
  }
  return out;
}

const mbs = (b: number) => `${fmt(b / MB, 0)} MB`;
const verdict = (b: number, target: number) => `${mbs(b).padStart(7)}  (target < ${target} MB: ${b / MB < target ? "ok" : "OVER"})`;

function printTree(title: string, procs: Proc[]) {
  console.log(title);
  for (const p of procs) console.log(`  ${p.role.padEnd(7)} pid ${String(p.pid).padEnd(7)} RSS ${mbs(p.rss).padStart(7)}  threads ${p.threads}`);
  console.log(`  ${"total".padEnd(7)} ${"".padEnd(11)} RSS ${mbs(procs.reduce((a, p) => a + p.rss, 0)).padStart(7)}`);
}

export async function run(argv: string[]): Promise<number> {
  const opts = parseOptions(argv, SPEC) as { messages: number; sessions: number; size: number; idle: number; "node-options"?: string; root?: string; npm?: boolean; "no-web"?: boolean; keep?: boolean };
  const root = opts.root ? path.resolve(opts.root) : ROOT;
  const web = !opts["no-web"];
  if (web && !fs.existsSync(path.join(root, ".next", "BUILD_ID"))) {
    console.log("memory: the web app is not built yet; npm start builds it first (a few minutes). `--no-web` skips the web app.");
  }
  if (!opts.root) {
    const build = spawnSync(process.execPath, [path.join(ROOT, "scripts", "build.mjs"), "--if-stale"], { stdio: "inherit" });
    if (build.status !== 0) return 1;
  }

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "mailsuite-bench-memory-"));
  // Every listener npm start opens by default, on free ports: IMAP and POP3 count too.
  const [smtp, webPort, imap, imaps, pop3, pop3s] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/tmp",
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
    DATA_DIR: dataDir,
    BIND_ADDRESS: "127.0.0.1",
    MAIL_HOSTNAME: "mx.bench.test",
    SMTP_PORT: String(smtp),
    SUBMISSION_PORT: "0",
    SUBMISSIONS_PORT: "0",
    IMAP_PORT: String(imap),
    IMAPS_PORT: String(imaps),
    POP3_PORT: String(pop3),
    POP3S_PORT: String(pop3s),
    WEB_PORT: web ? String(webPort) : "0",
    LOG_LEVEL: "warn",
    ...(opts["node-options"] ? { NODE_OPTIONS: opts["node-options"] } : {}),
  };
  // The recipient, through the compiled mailctl (which also migrates the new database).
  for (const args of [["domain", "add", DOMAIN], ["user", "add", RECIPIENT, "--password", "bench-password-not-used-1"]]) {
    const r = spawnSync(process.execPath, [path.join(root, "bin", "mailctl.mjs"), ...args], { cwd: root, env, encoding: "utf8" });
    if (r.status !== 0) {
      console.error(`memory: mailctl ${args.join(" ")} failed: ${r.stderr || r.stdout}`);
      return 1;
    }
  }

  // Its own process group: npm does not pass SIGTERM on through its shell, so the stop
  // below signals the whole group.
  const viaNpm = !!(opts.root || opts.npm);
  const child = viaNpm
    ? spawn("npm", ["start"], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"], detached: true })
    : spawn(process.execPath, [path.join(ROOT, "scripts", "start.mjs")], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let output = "";
  const keep = (d: Buffer) => (output = (output + d.toString("utf8")).slice(-20_000));
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  let exited: string | null = null;
  child.on("exit", (code, signal) => (exited = `npm start's supervisor exited (code ${code}, signal ${signal}); its output:\n${output}`));
  try {
    await waitForSmtp(smtp, { timeoutMs: 15 * 60_000, alive: () => exited });
    if (web) {
      // Wait for the web app, then render the sign-in page a few times: a web server's idle
      // size is the one after it has served pages, not right after start-up.
      const deadline = Date.now() + 120_000;
      for (;;) {
        if (exited) throw new Error(exited);
        try {
          const res = await fetch(`http://127.0.0.1:${webPort}/login`);
          if (res.ok) break;
        } catch {}
        if (Date.now() > deadline) throw new Error(`the web app did not answer on port ${webPort} within 120 s; output:\n${output}`);
        await new Promise((r) => setTimeout(r, 250));
      }
      for (let i = 0; i < 5; i++) await (await fetch(`http://127.0.0.1:${webPort}/login`)).text();
    }
    await new Promise((r) => setTimeout(r, opts.idle * 1000));
    const idle = tree(child.pid!);
    printTree(`idle (${opts.idle} s after start-up${web ? " and 5 renders of /login" : ""}):`, idle);

    // Load: sample every process's RSS every 100 ms; keep each one's peak and the tree's.
    const peakOf = new Map<number, Proc>();
    let treePeak = 0;
    const sample = () => {
      const procs = tree(child.pid!);
      treePeak = Math.max(treePeak, procs.reduce((a, p) => a + p.rss, 0));
      for (const p of procs) if (!peakOf.has(p.pid) || peakOf.get(p.pid)!.rss < p.rss) peakOf.set(p.pid, p);
    };
    const enginePid = idle.find((p) => p.role === "engine")?.pid ?? -1;
    const cpuBefore = cpuSeconds(enginePid);
    const sampler = setInterval(sample, 100);
    const factory = messageFactory({ size: opts.size, from: SENDER, to: RECIPIENT, clientHost: "relay.sender.example" });
    const load = await runLoad({ port: smtp, messages: opts.messages, sessions: opts.sessions, from: SENDER, to: RECIPIENT, factory });
    clearInterval(sampler);
    sample();
    const engineCpu = cpuSeconds(enginePid) - cpuBefore;
    console.log(
      `load: ${load.accepted}/${opts.messages} messages of ~${opts.size} bytes accepted over ${opts.sessions} sessions in ${fmt(load.elapsedMs / 1000, 1)} s ` +
        `(${fmt(load.accepted / (load.elapsedMs / 1000), 0)}/s; engine CPU ${fmt((engineCpu * 1e6) / Math.max(1, load.accepted), 0)} us/msg)${load.failed ? `, ${load.failed} FAILED: ${load.failures[0]}` : ""}`,
    );
    printTree("peak during the load (per process):", [...peakOf.values()]);
    await new Promise((r) => setTimeout(r, opts.idle * 1000));
    const after = tree(child.pid!);
    printTree(`${opts.idle} s after the load:`, after);

    const engineIdle = idle.find((p) => p.role === "engine")?.rss ?? NaN;
    const enginePeak = [...peakOf.values()].find((p) => p.role === "engine")?.hwm ?? NaN;
    console.log("\nvs the targets:");
    console.log(`  engine idle              ${verdict(engineIdle, TARGETS.engineIdle)}`);
    console.log(`  engine peak (VmHWM)      ${verdict(enginePeak, TARGETS.engineLoad)}`);
    console.log(`  whole tree peak          ${verdict(treePeak, TARGETS.tree)}${web ? "" : "  (without the web app)"}`);
    const ok = load.failed === 0 && engineIdle / MB < TARGETS.engineIdle && enginePeak / MB < TARGETS.engineLoad && treePeak / MB < TARGETS.tree;
    return ok ? 0 : 1;
  } finally {
    if (!exited) {
      const done = new Promise((r) => child.once("exit", r));
      const group = (signal: NodeJS.Signals) => {
        try {
          process.kill(-child.pid!, signal);
        } catch {}
      };
      // The supervisor stops its children itself; through npm, the group gets the signal.
      if (viaNpm) group("SIGTERM");
      else child.kill("SIGTERM");
      const t = setTimeout(() => group("SIGKILL"), 40_000);
      await done;
      clearTimeout(t);
      // Whatever of the group is left (npm's children outlive npm) gets 40 s, then SIGKILL.
      const deadline = Date.now() + 40_000;
      while (Date.now() < deadline) {
        try {
          process.kill(-child.pid!, 0);
        } catch {
          break;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      group("SIGKILL");
    }
    if (opts.keep) console.log(`memory: data directory kept at ${dataDir}`);
    else fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
