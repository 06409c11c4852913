// Prisma CLI configuration for both providers with no native engine download
// (../shared/design/PRISMA-OFFLINE.md). PRISMA_PROVIDER=postgresql selects the derived
// PostgreSQL schema; the CLI is used only to generate clients and author migrations.
import os from "node:os";
import path from "node:path";
import { defineConfig } from "prisma/config";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";

const postgres = process.env.PRISMA_PROVIDER === "postgresql";

export default defineConfig({
  engine: "js",
  experimental: { adapter: true },
  schema: postgres ? "prisma/postgresql/schema.prisma" : "prisma/schema.prisma",
  migrations: { path: postgres ? "prisma/migrations/postgresql" : "prisma/migrations/sqlite" },
  adapter: async () =>
    postgres
      ? new PrismaPg({ connectionString: process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres" })
      : new PrismaBetterSQLite3({ url: path.join(os.tmpdir(), "prisma-cli-scratch.db") }),
});
