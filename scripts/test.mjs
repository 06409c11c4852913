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
import { spawnSync } from "node:child_process";
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

function run(label, list, env = {}, concurrency = 2) {
  if (list.length === 0) return true;
  console.log(`\n=== ${label}: ${list.length} file(s) ===`);
  const res = spawnSync(process.execPath, ["--import", "tsx", "--test", `--test-concurrency=${concurrency}`, "--test-reporter=spec", ...list], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, ...env },
  });
  return res.status === 0;
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
// One browser file at a time: each builds the web app when stale (two builds at once
// collide on .next) and runs its own web server and Chromium.
if (want("e2e") && !run("browser", files("e2e"), {}, 1)) failures.push("browser");

if (failures.length) {
  console.error(`\nFAILED: ${failures.join(", ")}`);
  process.exit(1);
}
console.log("\nall tests passed");
