#!/usr/bin/env node
/**
 * The README's test command. Runs unit and integration tests on SQLite, then the
 * integration suite again on PostgreSQL when TEST_DATABASE_URL is set, then the browser
 * test. `npm test -- unit|integration|e2e` runs one part.
 *
 * First it makes sure the outside programs the tests drive are installed, installing
 * Debian's packages itself when one is missing (apt-get, through sudo when not root), so
 * a fresh Debian machine with Node, npm, python3, g++, git and curl passes `npm test`.
 * A test never skips because its program is missing: when nothing can be installed,
 * this stops and names the command to run.
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const only = process.argv[2];

/** Programs the tests run, the Debian package that provides each, and which part needs it. */
const TOOLS = [
  { program: process.env.CHROMIUM_PATH || "/usr/bin/chromium", pkg: "chromium", part: "e2e", why: "the browser test (playwright-core drives it)" },
  { program: "strace", pkg: "strace", part: "integration", why: "the durability order test (traces the engine's fsyncs)" },
  { program: "python3", pkg: "python3", part: "integration", why: "the smtplib submission test" },
  { program: "curl", pkg: "curl", part: "integration", why: "the curl SMTP and IMAP tests" },
  { program: "dkimverify", pkg: "python3-dkim", part: "integration", why: "the DKIM signing test (an independent verifier)" },
  { program: "mbsync", pkg: "isync", part: "integration", why: "the mbsync IMAP sync test" },
  { program: "openssl", pkg: "openssl", part: "integration", why: "the MTA-STS test (a certificate for its policy host)" },
];

function installed(program) {
  const candidates = program.includes("/") ? [program] : (process.env.PATH ?? "").split(":").filter(Boolean).map((d) => path.join(d, program));
  return candidates.some((f) => {
    try {
      fs.accessSync(f, fs.constants.X_OK);
      return fs.statSync(f).isFile();
    } catch {
      return false;
    }
  });
}

function ensureTools(parts) {
  const missing = TOOLS.filter((t) => parts.includes(t.part) && !installed(t.program));
  if (missing.length === 0) return;
  const pkgs = [...new Set(missing.map((t) => t.pkg))];
  const manual = `sudo apt-get update && sudo apt-get install -y ${pkgs.join(" ")}`;
  for (const t of missing) console.log(`--- ${t.program} is missing; needed by ${t.why}`);
  const fail = (why) => {
    console.error(`\nnpm test: cannot install ${pkgs.join(", ")}: ${why}\nInstall ${pkgs.length > 1 ? "them" : "it"} with:\n  ${manual}\nthen run npm test again.`);
    process.exit(1);
  };
  if (!installed("apt-get")) fail("this is not a Debian-like system (no apt-get)");
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  if (!root && !installed("sudo")) fail("not running as root and sudo is not installed");
  const run = (args) => {
    const [cmd, ...rest] = root ? args : ["sudo", ...args];
    console.log(`--- ${[cmd, ...rest].join(" ")}`);
    const r = spawnSync(cmd, rest, { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
    if (r.status !== 0) fail(`\`${[cmd, ...rest].join(" ")}\` failed${r.error ? ` (${r.error.message})` : ` with exit code ${r.status}`}`);
  };
  run(["apt-get", "update", "-q"]);
  run(["apt-get", "install", "-y", "-q", ...pkgs]);
  const still = missing.filter((t) => !installed(t.program));
  if (still.length) fail(`after installing, ${still.map((t) => t.program).join(", ")} still cannot be found`);
}

function files(dir) {
  const abs = path.join(root, "test", dir);
  if (!fs.existsSync(abs)) return [];
  return fs
    .readdirSync(abs, { recursive: true })
    .filter((f) => /\.test\.m?ts$/.test(f))
    .sort()
    .map((f) => path.join("test", dir, f));
}

/**
 * Per test file (Node 20's --test-timeout bounds each file as a whole): a file that waits
 * on something that never comes (a browser whose renderer stopped answering, a socket
 * nobody closes) fails after this long instead of holding the whole run until CI's own
 * limit. The longest file takes about four minutes on a loaded machine.
 */
const FILE_TIMEOUT_MS = Number(process.env.TEST_FILE_TIMEOUT_MS) || 15 * 60_000;

function nodeTest(list, env, concurrency) {
  const args = ["--import", "tsx", "--test", `--test-concurrency=${concurrency}`, `--test-timeout=${FILE_TIMEOUT_MS}`, "--test-force-exit", "--test-reporter=spec", ...list];
  const res = spawnSync(process.execPath, args, { cwd: root, stdio: "inherit", env: { ...process.env, ...env } });
  return res.status === 0;
}

function run(label, list, env = {}, concurrency = 2) {
  if (list.length === 0) return true;
  console.log(`\n=== ${label}: ${list.length} file(s) ===`);
  return nodeTest(list, env, concurrency);
}

/**
 * One browser file in a process group of its own, stopped whole (its web server, engine
 * and Chromium too) if it outlives FILE_TIMEOUT_MS.
 */
let running = null;
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    // The browser file is in its own group: a Ctrl-C here must reach it too.
    if (running) {
      try {
        process.kill(-running.pid, "SIGKILL");
      } catch {}
    }
    process.exit(130);
  });
}

function browserFile(file) {
  const args = ["--import", "tsx", "--test", "--test-force-exit", "--test-reporter=spec", file];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: "inherit", detached: true });
    running = child;
    const timer = setTimeout(() => {
      console.log(`\n=== browser: ${file} still running after ${Math.round(FILE_TIMEOUT_MS / 1000)} s; stopped ===`);
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {}
    }, FILE_TIMEOUT_MS);
    child.on("exit", (code) => {
      clearTimeout(timer);
      running = null;
      resolve(code === 0);
    });
  });
}

/**
 * The browser files, one at a time (each builds the web app when stale: two builds at
 * once collide on .next; each runs its own web server and Chromium). A file that fails
 * runs once more, and says so: a CI run once stalled in a browser file and no run here
 * reproduced it, so one stall should not fail the suite; a real fault fails both times.
 */
async function runBrowser(list) {
  if (list.length === 0) return true;
  console.log(`\n=== browser: ${list.length} file(s) ===`);
  const failed = [];
  for (const file of list) if (!(await browserFile(file))) failed.push(file);
  const still = [];
  for (const file of failed) {
    console.log(`\n=== browser: ${file} failed; running it once more ===`);
    if (!(await browserFile(file))) still.push(file);
  }
  if (failed.length && !still.length) console.log(`\n(browser: passed on the second run: ${failed.join(", ")})`);
  return still.length === 0;
}

const failures = [];
const want = (part) => !only || only === part;
ensureTools(["unit", "integration", "e2e"].filter(want));
if (want("unit") && !run("unit", files("unit"))) failures.push("unit");
if (want("integration") && !run("integration (SQLite)", files("integration"), { TEST_DB: "sqlite" })) failures.push("integration (SQLite)");
if (want("integration")) {
  if (process.env.TEST_DATABASE_URL) {
    if (!run("integration (PostgreSQL)", files("integration"), { TEST_DB: "postgresql" })) failures.push("integration (PostgreSQL)");
  } else {
    console.log("\n(skipping the PostgreSQL run of the integration suite: set TEST_DATABASE_URL=postgresql://... to run it)");
  }
}
if (want("e2e") && !(await runBrowser(files("e2e")))) failures.push("browser");

if (failures.length) {
  console.error(`\nFAILED: ${failures.join(", ")}`);
  process.exit(1);
}
console.log("\nall tests passed");
