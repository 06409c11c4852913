/**
 * The one Prisma client of a process, for SQLite (default) or PostgreSQL. Both
 * generated clients share the data model; the SQLite one's types are used for both.
 */
import type { PrismaClient as SqliteClient } from "../../generated/prisma-sqlite/client";
import { loadConfig, sqlitePath, type Config } from "../config";

export type Db = SqliteClient;
export type { Prisma } from "../../generated/prisma-sqlite/client";

/** Number of seconds a SQLite writer waits for another process's write lock. */
const SQLITE_BUSY_TIMEOUT_MS = 15_000;

export async function createDb(config: Pick<Config, "databaseUrl" | "provider"> = loadConfig()): Promise<Db> {
  // Loaded here, not at module load: only the provider in use is loaded, and a process
  // that never queries through Prisma (the engine on MX traffic) never loads it at all.
  if (config.provider === "sqlite") {
    const [{ PrismaBetterSQLite3 }, { PrismaClient: SqliteClient }] = await Promise.all([import("@prisma/adapter-better-sqlite3"), import("../../generated/prisma-sqlite/client")]);
    const adapter = new PrismaBetterSQLite3({ url: sqlitePath(config.databaseUrl), timeout: SQLITE_BUSY_TIMEOUT_MS });
    const db = new SqliteClient({ adapter });
    // WAL is set persistently by the migration step; these are per connection.
    // synchronous=FULL: a commit is on disk before it returns (better-sqlite3 builds with NORMAL in WAL).
    await db.$queryRawUnsafe("PRAGMA synchronous = FULL");
    await db.$queryRawUnsafe("PRAGMA foreign_keys = ON");
    await db.$queryRawUnsafe(`PRAGMA busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    return db;
  }
  const [{ PrismaPg }, { PrismaClient: PgClient }] = await Promise.all([import("@prisma/adapter-pg"), import("../../generated/prisma-pg/client")]);
  const adapter = new PrismaPg({ connectionString: config.databaseUrl, max: 10 });
  return new PgClient({ adapter }) as unknown as Db;
}

let shared: Promise<Db> | null = null;

/** The process-wide client, created on first use from the environment. */
export function getDb(): Promise<Db> {
  const g = globalThis as unknown as { __mailDb?: Promise<Db> };
  if (!shared) shared = g.__mailDb ?? (g.__mailDb = createDb());
  return shared;
}
