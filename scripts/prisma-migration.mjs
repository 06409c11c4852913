// Writes the SQL migration for both providers from the previous schema to the current one:
//   npm run prisma:migration -- <name> [<previous schema.prisma from git, e.g. via git show>]
// With no previous schema it diffs from empty (the first migration).
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { derivePostgresSchema } from "./prisma-sync.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const [name, previous] = process.argv.slice(2);
if (!name || !/^[a-z0-9_]+$/.test(name)) {
  console.error("usage: npm run prisma:migration -- <snake_case_name> [previous-schema.prisma]");
  process.exit(2);
}
const prisma = path.join(root, "node_modules/prisma/build/index.js");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "prisma-mig-"));
for (const [provider, dir, toSchema] of [
  ["sqlite", "sqlite", "prisma/schema.prisma"],
  ["postgresql", "postgresql", "prisma/postgresql/schema.prisma"],
]) {
  let from = ["--from-empty"];
  if (previous) {
    let text = fs.readFileSync(previous, "utf8");
    if (provider === "postgresql") text = derivePostgresSchema(text);
    const file = path.join(tmp, `${provider}.prisma`);
    fs.writeFileSync(file, text);
    from = ["--from-schema-datamodel", file];
  }
  const sql = execFileSync(process.execPath, [prisma, "migrate", "diff", ...from, "--to-schema-datamodel", toSchema, "--script"], { cwd: root, encoding: "utf8" });
  const folder = path.join(root, "prisma/migrations", dir);
  fs.mkdirSync(folder, { recursive: true });
  const n = String(fs.readdirSync(folder).filter((f) => f.endsWith(".sql")).length + 1).padStart(4, "0");
  const out = path.join(folder, `${n}_${name}.sql`);
  fs.writeFileSync(out, sql);
  console.log("wrote", path.relative(root, out));
}
