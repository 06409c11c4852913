#!/usr/bin/env node
/**
 * The README's test command. Runs unit and integration tests on SQLite, then the
 * integration suite again on PostgreSQL when TEST_DATABASE_URL is set, then the browser
 * test. `npm test -- unit|integration|e2e` runs one part.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const only = process.argv[2];

function files(dir) {
  const abs = path.join(root, "test", dir);
  if (!fs.existsSync(abs)) return [];
  return fs
    .readdirSync(abs, { recursive: true })
    .filter((f) => /\.test\.m?ts$/.test(f))
    .sort()
    .map((f) => path.join("test", dir, f));
}

function run(label, list, env = {}) {
  if (list.length === 0) return true;
  console.log(`\n=== ${label}: ${list.length} file(s) ===`);
  const res = spawnSync(process.execPath, ["--import", "tsx", "--test", "--test-concurrency=2", "--test-reporter=spec", ...list], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, ...env },
  });
  return res.status === 0;
}

const failures = [];
const want = (part) => !only || only === part;
if (want("unit") && !run("unit", files("unit"))) failures.push("unit");
if (want("integration") && !run("integration (SQLite)", files("integration"), { TEST_DB: "sqlite" })) failures.push("integration (SQLite)");
if (want("integration")) {
  if (process.env.TEST_DATABASE_URL) {
    if (!run("integration (PostgreSQL)", files("integration"), { TEST_DB: "postgresql" })) failures.push("integration (PostgreSQL)");
  } else {
    console.log("\n(skipping the PostgreSQL run of the integration suite: set TEST_DATABASE_URL=postgresql://... to run it)");
  }
}
if (want("e2e") && !run("browser", files("e2e"))) failures.push("browser");

if (failures.length) {
  console.error(`\nFAILED: ${failures.join(", ")}`);
  process.exit(1);
}
console.log("\nall tests passed");
