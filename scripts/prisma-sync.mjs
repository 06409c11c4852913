// Derives prisma/postgresql/schema.prisma from prisma/schema.prisma (the source of truth).
// `node scripts/prisma-sync.mjs --check` exits 1 when the derived file is out of date.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const source = path.join(root, "prisma/schema.prisma");
const target = path.join(root, "prisma/postgresql/schema.prisma");

export function derivePostgresSchema(text) {
  return (
    "// GENERATED from prisma/schema.prisma by `npm run prisma:sync`: do not edit.\n" +
    text
      .replace('provider = "sqlite"', 'provider = "postgresql"')
      .replace('url      = "file:./unused.db"', 'url      = "postgresql://localhost/unused"')
      .replace('output     = "../generated/prisma-sqlite"', 'output     = "../../generated/prisma-pg"')
  );
}

const wanted = derivePostgresSchema(fs.readFileSync(source, "utf8"));
if (process.argv.includes("--check")) {
  const have = fs.existsSync(target) ? fs.readFileSync(target, "utf8") : "";
  if (have !== wanted) {
    console.error("prisma/postgresql/schema.prisma is out of date: run `npm run prisma:sync` and write a migration for both providers");
    process.exit(1);
  }
} else {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, wanted);
  console.log("wrote", path.relative(root, target));
}
