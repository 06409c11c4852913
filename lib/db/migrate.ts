/**
 * Applies the SQL migrations under prisma/migrations/<provider>/ in name order, each in
 * a transaction, recording applied names in `_schema_migrations`. Run at start-up by the
 * engine, by `npm start` and by mailctl; never the Prisma CLI at run time (PRISMA-OFFLINE.md).
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { ensureDir, sqlitePath, type Config } from "../config";

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../prisma/migrations");

export interface Migration {
  name: string;
  sql: string;
}

export function listMigrations(provider: Config["provider"], dir = MIGRATIONS_DIR): Migration[] {
  const folder = path.join(dir, provider === "sqlite" ? "sqlite" : "postgresql");
  return fs
    .readdirSync(folder)
    .filter((f) => f.endsWith(".sql"))
    .sort()
    .map((name) => ({ name, sql: fs.readFileSync(path.join(folder, name), "utf8") }));
}

/** Returns the names of the migrations it applied (empty when the database was current). */
export async function migrate(config: Pick<Config, "databaseUrl" | "provider">, dir = MIGRATIONS_DIR): Promise<string[]> {
  const migrations = listMigrations(config.provider, dir);
  return config.provider === "sqlite" ? migrateSqlite(sqlitePath(config.databaseUrl), migrations) : migratePostgres(config.databaseUrl, migrations);
}

function migrateSqlite(file: string, migrations: Migration[]): string[] {
  ensureDir(path.dirname(file));
  const db = new Database(file, { timeout: 15_000 });
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.exec("CREATE TABLE IF NOT EXISTS _schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)");
    const applied: string[] = [];
    // BEGIN IMMEDIATE takes the write lock first, so two processes starting together apply each file once.
    const run = db.transaction((m: Migration) => {
      if (db.prepare("SELECT 1 FROM _schema_migrations WHERE name = ?").get(m.name)) return false;
      db.exec(m.sql);
      db.prepare("INSERT INTO _schema_migrations (name, applied_at) VALUES (?, ?)").run(m.name, new Date().toISOString());
      return true;
    });
    for (const m of migrations) {
      try {
        if (run.immediate(m)) applied.push(m.name);
      } catch (err) {
        throw new Error(`migration ${m.name} failed and was rolled back: ${(err as Error).message}`);
      }
    }
    return applied;
  } finally {
    db.close();
  }
}

async function migratePostgres(url: string, migrations: Migration[]): Promise<string[]> {
  const { default: pg } = await import("pg"); // only on PostgreSQL
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // One migrator at a time across all engines and web servers.
    await client.query("SELECT pg_advisory_lock(727274)");
    await client.query("CREATE TABLE IF NOT EXISTS _schema_migrations (name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())");
    const done = new Set((await client.query<{ name: string }>("SELECT name FROM _schema_migrations")).rows.map((r) => r.name));
    const applied: string[] = [];
    for (const m of migrations) {
      if (done.has(m.name)) continue;
      await client.query("BEGIN");
      try {
        await client.query(m.sql);
        await client.query("INSERT INTO _schema_migrations (name) VALUES ($1)", [m.name]);
        await client.query("COMMIT");
        applied.push(m.name);
      } catch (err) {
        await client.query("ROLLBACK");
        throw new Error(`migration ${m.name} failed and was rolled back: ${(err as Error).message}`);
      }
    }
    return applied;
  } finally {
    await client.query("SELECT pg_advisory_unlock(727274)").catch(() => undefined);
    await client.end();
  }
}
