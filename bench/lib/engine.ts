/**
 * Our engine as a child process, exactly as deployed: `node <flags>
 * dist/current/mail-engine.main.js`, spawned with process.execPath directly (not through
 * npm) so the child's pid is the engine's own and /proc/<pid>/status describes the engine.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { ENGINE_NODE_FLAGS } from "../../lib/config/node-flags";
// @ts-expect-error: a plain ES module without type declarations
import { CURRENT, isFresh } from "../../scripts/build.mjs";
import fs from "node:fs";
import path from "node:path";

export interface EngineProcess {
  pid: number;
  child: ChildProcess;
  /** The last lines the engine wrote (stdout and stderr), for error messages. */
  output(): string;
  /** null while running; a description once it has exited. */
  exited(): string | null;
  /** Peak resident set size (VmHWM) in bytes, read from /proc; NaN where there is no /proc. */
  peakRss(): number;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

/**
 * The engine as npm start runs it: the compiled build (made first when a source is newer)
 * with the production Node flags, so the figures are production's, not tsx's.
 */
export function spawnEngine(opts: { root: string; env: Record<string, string>; nodeArgs?: string[] }): EngineProcess {
  if (!isFresh()) {
    const built = spawnSync(process.execPath, [path.join(opts.root, "scripts", "build.mjs")], { stdio: "inherit" });
    if (built.status !== 0) throw new Error("the engine did not compile (npm run build:node shows why)");
  }
  const entry = path.join(CURRENT, "mail-engine.main.js");
  const child = spawn(process.execPath, [...ENGINE_NODE_FLAGS, ...(opts.nodeArgs ?? []), entry], {
    cwd: opts.root,
    // Only what the engine needs: a stray DATABASE_URL or LOG_LEVEL in the caller's
    // environment must not redirect the benchmark.
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", NODE_ENV: "production", ...opts.env } as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const tail: string[] = [];
  const keep = (d: Buffer) => {
    for (const line of d.toString("utf8").split("\n")) if (line.trim()) tail.push(line);
    if (tail.length > 40) tail.splice(0, tail.length - 40);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  let exit: string | null = null;
  const exitedP = new Promise<number | null>((resolve) => {
    child.on("exit", (code, signal) => {
      exit = `engine exited (code ${code}${signal ? `, signal ${signal}` : ""})`;
      resolve(code);
    });
  });
  return {
    pid: child.pid!,
    child,
    output: () => tail.join("\n"),
    exited: () => (exit ? `${exit}; its last output:\n${tail.join("\n")}` : null),
    peakRss: () => readVmHwm(child.pid!),
    async stop(graceMs = 35_000) {
      if (exit) return child.exitCode;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      const code = await exitedP;
      clearTimeout(timer);
      return code;
    },
  };
}

/** CPU seconds (user + system, all threads) a process has used, from /proc/<pid>/stat; NaN where there is no /proc. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100 on Linux)
  } catch {
    return NaN;
  }
}

export function readVmHwm(pid: number): number {
  try {
    const status = fs.readFileSync(path.join("/proc", String(pid), "status"), "utf8");
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

function readStatusKb(pid: number, field: "VmRSS" | "VmHWM"): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, "m").exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Child pids from /proc/<pid>/task/<tid>/children (one small read per thread); null where the kernel lacks it. */
function childrenOf(pid: number): number[] | null {
  try {
    const out: number[] = [];
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      const text = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").trim();
      if (text) for (const c of text.split(/\s+/)) out.push(Number(c));
    }
    return out;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ENOENT" && fs.existsSync(`/proc/${pid}`) ? null : [];
  }
}

/** The pid and every descendant of it. */
export function processTree(root: number): number[] {
  const direct = childrenOf(root);
  if (direct !== null) {
    const out = [root];
    const walk = (list: number[]) => {
      for (const c of list) {
        out.push(c);
        walk(childrenOf(c) ?? []);
      }
    };
    walk(direct);
    return out;
  }
  return processTreeByScan(root);
}

/** The same from the parent pids in every /proc/<pid>/stat (slower, always available). */
function processTreeByScan(root: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[] = [];
  try {
    entries = fs.readdirSync("/proc");
  } catch {
    return [root];
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(e));
      children.set(ppid, list);
    } catch {
      /* exited meanwhile */
    }
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    out.push(pid);
    for (const c of children.get(pid) ?? []) walk(c);
  };
  walk(root);
  return out;
}

/**
 * Peak memory of a whole process tree (the engine and any child processes it starts):
 * the largest sum of VmRSS over the tree, sampled every `intervalMs`. When the tree is
 * one process its VmHWM is the exact peak and is used (samples can miss a short peak);
 * with several, a sum of per-process peaks would overstate, so the samples stand.
 * Worker threads share their process's RSS, so they are counted once.
 */
export function treeRssSampler(root: number, intervalMs = 100): { stop(): { peak: number; processes: number } } {
  let peak = 0;
  const seen = new Set<number>();
  const hwm = new Map<number, number>();
  const sample = () => {
    let sum = 0;
    for (const pid of processTree(root)) {
      seen.add(pid);
      sum += readStatusKb(pid, "VmRSS");
      hwm.set(pid, Math.max(hwm.get(pid) ?? 0, readStatusKb(pid, "VmHWM")));
    }
    peak = Math.max(peak, sum);
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      sample();
      const hwmSum = [...hwm.values()].reduce((a, b) => a + b, 0);
      return { peak: Math.max(peak, seen.size === 1 ? hwmSum : 0) || NaN, processes: seen.size };
    },
  };
}
