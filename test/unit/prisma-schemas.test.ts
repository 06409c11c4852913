import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";

test("the PostgreSQL schema is derived from the SQLite one (no drift)", () => {
  const r = spawnSync(process.execPath, ["scripts/prisma-sync.mjs", "--check"], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});
