/**
 * The small transaction interface every mailbox change is written against, so that one
 * routine (lib/store/ops/*) serves SQLite and PostgreSQL. SQL is written once with
 * PostgreSQL-style placeholders ($1, $2, ...); the SQLite driver turns them into SQLite's
 * numbered parameters (?1, ?2, ...) and converts values (dates as ISO text with an
 * offset, booleans as 0/1, arrays as JSON for json_each) the way Prisma stores them, so
 * the web app keeps reading the same rows with Prisma.
 */
import type Database from "better-sqlite3";
import type pg from "pg";

export type Dialect = "sqlite" | "postgresql";
export type Row = Record<string, unknown>;

export interface StoreTx {
  readonly dialect: Dialect;
  all<T = Row>(sql: string, params?: unknown[]): Promise<T[]>;
  get<T = Row>(sql: string, params?: unknown[]): Promise<T | undefined>;
  /** Rows as arrays of column values, in the order selected: no object per row (thousands of rows). */
  arrays(sql: string, params?: unknown[]): Promise<unknown[][]>;
  /** Runs a statement; resolves to the number of rows it changed. */
  run(sql: string, params?: unknown[]): Promise<number>;
}

/** `x IN list` for a parameter holding a JS array: json_each on SQLite, ANY on PostgreSQL. */
export function inList(tx: Pick<StoreTx, "dialect">, n: number, type: "text" | "int" = "text"): string {
  return tx.dialect === "sqlite" ? `IN (SELECT value FROM json_each($${n}))` : `= ANY($${n}::${type === "int" ? "integer" : "text"}[])`;
}

/** Prisma's SQLite DateTime text. */
export const sqliteDate = (d: Date) => d.toISOString().replace("Z", "+00:00");
/** UTC wall time, as Prisma stores DateTime in PostgreSQL's TIMESTAMP(3) (without time zone). */
export const pgDate = (d: Date) => d.toISOString().slice(0, -1);

function toSqlite(v: unknown): unknown {
  if (v instanceof Date) return sqliteDate(v);
  if (typeof v === "boolean") return v ? 1 : 0;
  if (Array.isArray(v)) return JSON.stringify(v);
  if (v === undefined) return null;
  return v;
}

function toPg(v: unknown): unknown {
  if (v instanceof Date) return pgDate(v);
  if (v === undefined) return null;
  return v;
}

/** A better-sqlite3 connection; statements are prepared once per SQL text. */
export class SqliteTx implements StoreTx {
  readonly dialect = "sqlite" as const;
  private readonly cache = new Map<string, { stmt: Database.Statement; order: number[] }>();

  constructor(readonly conn: Database.Database) {}

  /** better-sqlite3 binds arrays only to anonymous "?" parameters: each $N becomes "?" and takes the N-th value. */
  private bind(sql: string, params: unknown[]): [Database.Statement, unknown[]] {
    let c = this.cache.get(sql);
    if (!c) {
      const order: number[] = [];
      const text = sql.replace(/\$(\d+)/g, (_, n: string) => {
        order.push(Number(n) - 1);
        return "?";
      });
      c = { stmt: this.conn.prepare(text), order };
      this.cache.set(sql, c);
    }
    return [c.stmt, c.order.map((i) => toSqlite(params[i]))];
  }

  async all<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    const [s, v] = this.bind(sql, params);
    return s.all(...v) as T[];
  }
  /** Rows as arrays (better-sqlite3's raw mode: half the cost of an object per row). */
  async arrays(sql: string, params: unknown[] = []): Promise<unknown[][]> {
    const [s, v] = this.bind(sql, params);
    s.raw(true);
    try {
      return s.all(...v) as unknown[][];
    } finally {
      s.raw(false);
    }
  }
  async get<T>(sql: string, params: unknown[] = []): Promise<T | undefined> {
    const [s, v] = this.bind(sql, params);
    return s.get(...v) as T | undefined;
  }
  async run(sql: string, params: unknown[] = []): Promise<number> {
    const [s, v] = this.bind(sql, params);
    return s.run(...v).changes;
  }
}

/** One PostgreSQL connection inside a transaction. */
export class PgTx implements StoreTx {
  readonly dialect = "postgresql" as const;

  constructor(readonly client: pg.PoolClient | pg.Client) {}

  async all<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.client.query({ text: sql, values: params.map(toPg) })).rows as T[];
  }
  async get<T>(sql: string, params: unknown[] = []): Promise<T | undefined> {
    return (await this.all<T>(sql, params))[0];
  }
  async arrays(sql: string, params: unknown[] = []): Promise<unknown[][]> {
    return (await this.client.query({ text: sql, values: params.map(toPg), rowMode: "array" })).rows as unknown[][];
  }
  async run(sql: string, params: unknown[] = []): Promise<number> {
    return (await this.client.query({ text: sql, values: params.map(toPg) })).rowCount ?? 0;
  }
}
