/**
 * The store's read-only connection, outside the writer: searches and IMAP FETCH read
 * through it. SQLite: one read-only connection per store (WAL: reads never wait for the
 * writer), with mail_fold() for case-insensitive comparison; PostgreSQL: a small
 * node-postgres pool per store (Prisma's raw queries convert every value through its
 * engine: 5-10x slower on thousands of rows).
 */
import { createRequire } from "node:module";
import Database from "better-sqlite3";
import type pg from "pg";
import { sqlitePath } from "../config";
import type { MailStore } from "./index";
import { SqliteTx, type Dialect } from "./tx";

export interface Reader {
  dialect: Dialect;
  all<T>(sql: string, params: unknown[]): Promise<T[]>;
  /** Rows as arrays of column values, in the order selected: no object per row from the driver (thousands of FETCH rows). */
  arrays(sql: string, params: unknown[]): Promise<unknown[][]>;
}

/** Lower-cased, for case-insensitive comparison beyond ASCII (also SQLite's mail_fold()). */
export function fold(s: string): string {
  return s.normalize("NFC").toLowerCase();
}

const sqliteReaders = new WeakMap<MailStore, SqliteTx>();
const pgReaders = new WeakMap<MailStore, pg.Pool>();

export function reader(store: MailStore): Reader {
  if (store.config.provider !== "sqlite") {
    let pool = pgReaders.get(store);
    if (!pool) {
      const { Pool } = createRequire(import.meta.url)("pg") as typeof pg;
      // allowExitOnIdle: an idle search pool never keeps a process (mailctl, tests) alive.
      pool = new Pool({ connectionString: store.config.databaseUrl, max: 2, idleTimeoutMillis: 10_000, allowExitOnIdle: true });
      pool.on("error", () => undefined); // the next query reconnects
      pgReaders.set(store, pool);
    }
    const p = pool;
    return {
      dialect: "postgresql",
      all: async <T>(sql: string, params: unknown[]) => (await p.query({ text: sql, values: params })).rows as T[],
      arrays: async (sql: string, params: unknown[]) => (await p.query({ text: sql, values: params, rowMode: "array" })).rows as unknown[][],
    };
  }
  let tx = sqliteReaders.get(store);
  if (!tx) {
    const conn = new Database(sqlitePath(store.config.databaseUrl), { readonly: true, fileMustExist: true, timeout: 15_000 });
    conn.function("mail_fold", { deterministic: true }, (v: unknown) => (typeof v === "string" ? fold(v) : null));
    tx = new SqliteTx(conn);
    sqliteReaders.set(store, tx);
  }
  return tx;
}

/** Closes the connections a store's reads opened (tests, shutdown; a process exiting needs nothing). */
export async function closeReadConnection(store: MailStore): Promise<void> {
  sqliteReaders.get(store)?.conn.close();
  sqliteReaders.delete(store);
  const pool = pgReaders.get(store);
  pgReaders.delete(store);
  await pool?.end();
}
