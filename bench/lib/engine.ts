/**
 * Our engine as a child process, exactly as deployed: `node --import tsx
 * mail-engine/main.ts`, spawned with process.execPath directly (not through npm or
 * the tsx binary) so the child's pid is the engine's own and /proc/<pid>/status
 * describes the engine.
 */
import { spawn, type ChildProcess } from "node:child_process";
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

export function spawnEngine(opts: { root: string; env: Record<string, string>; nodeArgs?: string[] }): EngineProcess {
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), "--import", "tsx", "mail-engine/main.ts"], {
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

export function readVmHwm(pid: number): number {
  try {
    const status = fs.readFileSync(path.join("/proc", String(pid), "status"), "utf8");
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}
