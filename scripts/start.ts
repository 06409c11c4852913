/**
 * The supervisor of `npm start` (compiled to dist/current/scripts.start.js; scripts/start.mjs
 * builds it when needed and runs it). Runs prepare.ts (migrations, TLS material, admin
 * hint) as a short-lived process, builds the web app when it has not been built, then
 * runs the web app and the mail engine as two child processes, each `node` itself (no
 * npm, no TypeScript loader). SIGINT/SIGTERM are forwarded to both; when either exits
 * on its own, the other is stopped and start exits non-zero.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadConfig, ConfigError } from "../lib/config";
import { ENGINE_NODE_FLAGS, PROCESS_ENV_DEFAULTS, WEB_NODE_FLAGS, withoutOperatorFlags } from "../lib/config/node-flags";
import { log } from "../lib/log";

/** Replaced by `true` in the compiled build (scripts/build.mjs). */
declare const __MAILSUITE_COMPILED__: boolean | undefined;
const compiled = typeof __MAILSUITE_COMPILED__ !== "undefined" && __MAILSUITE_COMPILED__;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const nextBin = path.join(root, "node_modules", "next", "dist", "bin", "next");
const slog = log.child({ proc: "start" });

/** How to run one of our TypeScript entries as a process: its bundle in production, tsx in development. */
function nodeEntry(entry: string): string[] {
  // Compiled: the entry in this supervisor's own build folder (import.meta.dirname, the real path).
  return compiled ? [path.join(import.meta.dirname, `${entry.replace(/\.ts$/, "").split("/").join(".")}.js`)] : ["--import", "tsx", path.join(root, entry)];
}

const ENGINE_FLAGS = withoutOperatorFlags(ENGINE_NODE_FLAGS);
const WEB_FLAGS = withoutOperatorFlags(WEB_NODE_FLAGS);

async function main() {
  const config = loadConfig();
  const prep = spawnSync(process.execPath, nodeEntry("scripts/prepare.ts"), { cwd: root, stdio: "inherit", env: process.env });
  if (prep.status !== 0) {
    process.exit(1); // prepare.ts logged why
  }

  if (config.webPort !== 0 && !fs.existsSync(path.join(root, ".next", "BUILD_ID"))) {
    slog.info("web.building", { hint: "first start only: building the web app takes a few minutes" });
    const build = spawnSync(process.execPath, [nextBin, "build"], { cwd: root, stdio: "inherit", env: process.env });
    if (build.status !== 0) throw new Error("the web app did not build (see the output above); fix it or run `npm run build` to retry");
  }

  const children = new Map<string, ChildProcess>();
  let stopping = false;
  let exitCode = 0;

  const stopAll = (signal: NodeJS.Signals) => {
    for (const [name, child] of children) {
      if (child.exitCode === null && child.signalCode === null) {
        slog.info("child.stopping", { child: name, signal });
        child.kill(signal);
      }
    }
  };

  const run = (name: string, args: string[], env: NodeJS.ProcessEnv) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: "inherit", env });
    children.set(name, child);
    child.on("exit", (code, signal) => {
      slog.info("child.exited", { child: name, code, signal });
      children.delete(name);
      if (!stopping) {
        stopping = true;
        exitCode = code || 1;
        slog.error("child.died", { child: name, hint: "the other process is being stopped; see its log lines above for the cause" });
        stopAll("SIGTERM");
      }
      if (children.size === 0) process.exit(exitCode);
    });
  };

  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      stopAll(signal);
      setTimeout(() => {
        slog.error("stop.timeout", { hint: "children did not exit within 40 s; killing them" });
        stopAll("SIGKILL");
        process.exit(1);
      }, 40_000).unref();
    });
  }

  run("engine", [...ENGINE_FLAGS, ...nodeEntry("mail-engine/main.ts")], { ...PROCESS_ENV_DEFAULTS, ...process.env });
  if (config.webPort !== 0) {
    // Not `next start`: scripts/web-server.mjs serves the same build and tells the app each
    // request's socket address (the sign-in throttle's key; see lib/web/client-ip.ts).
    run("web", [...WEB_FLAGS, path.join(root, "scripts", "web-server.mjs"), "-p", String(config.webPort), "-H", config.bindAddress], { ...PROCESS_ENV_DEFAULTS, ...process.env });
    slog.info("web.url", { url: `http://${config.bindAddress === "0.0.0.0" ? "localhost" : config.bindAddress}:${config.webPort}/` });
  }
}

main().catch((err) => {
  slog.error("start.failed", { error: err, hint: err instanceof ConfigError ? "fix the setting named above in the environment or .env" : undefined });
  process.exit(1);
});
