/**
 * Drivers that run the store's ops (ops/index.ts) in transactions:
 *
 * - SqliteRunner: one better-sqlite3 connection (WAL, synchronous=FULL). Ops that arrive
 *   while a commit is in progress are written together in the next transaction, each in
 *   its own SAVEPOINT (one fsync for many changes; one failure does not fail its
 *   neighbours). The engine runs it on its own thread (thread-runner.ts), so a COMMIT's
 *   fsync never blocks SMTP or IMAP; the web app and mailctl run it in-process.
 * - PgRunner: one transaction per op on a pooled node-postgres connection (PostgreSQL
 *   groups concurrent commits itself); a deadlock or serialisation failure is retried.
 *
 * The SQLite runner parses a small message itself when the caller has no summary (one
 * hand-off to the writer thread instead of two on the engine's hot path); on PostgreSQL
 * the store parses before the transaction (on the engine's parser thread).
 */
import Database from "better-sqlite3";
import type pg from "pg";
import { ops, type OpArgs, type OpName, type OpResult } from "./ops";
import { parseForStore } from "./parse";
import { PgTx, SqliteTx } from "./tx";

export interface OpRunner {
  /** Whether run("deliver") parses a small message itself when it comes without a summary. */
  readonly parsesInline: boolean;
  run<K extends OpName>(op: K, args: OpArgs<K>): Promise<OpResult<K>>;
  close(): Promise<void>;
}

const MAX_BATCH = 256;

/** Fills in the summary and structure of a small message that arrives without them. */
async function prepare<K extends OpName>(op: K, args: OpArgs<K>): Promise<OpArgs<K>> {
  if (op === "appendAll") {
    const a = args as OpArgs<"appendAll">;
    const items: OpArgs<"deliver">[] = [];
    for (const d of a.items) items.push(await prepareDelivery(d));
    return { items } as OpArgs<K>;
  }
  if (op !== "deliver") return args;
  return (await prepareDelivery(args as OpArgs<"deliver">)) as OpArgs<K>;
}

async function prepareDelivery(d: OpArgs<"deliver">): Promise<OpArgs<"deliver">> {
  if (d.summary || d.targets.length === 0 || !d.blob.inlineData) return d;
  const data = Buffer.isBuffer(d.blob.inlineData) ? d.blob.inlineData : Buffer.from(d.blob.inlineData as Uint8Array);
  const parsed = await parseForStore(data);
  return { ...d, blob: { ...d.blob, inlineData: data, structure: d.blob.structure ?? parsed.structure, imap: d.blob.imap ?? parsed.imap, text: d.blob.text ?? parsed.text }, summary: parsed.summary };
}

interface Job {
  op: OpName;
  args: unknown;
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

export function openSqlite(file: string): Database.Database {
  const conn = new Database(file, { timeout: 15_000 });
  conn.pragma("journal_mode = WAL");
  conn.pragma("synchronous = FULL");
  conn.pragma("foreign_keys = ON");
  return conn;
}

export class SqliteRunner implements OpRunner {
  readonly parsesInline = true;
  private readonly conn: Database.Database;
  private readonly tx: SqliteTx;
  private pending: Job[] = [];
  private flushing = false;
  private closed = false;

  constructor(file: string) {
    this.conn = openSqlite(file);
    this.tx = new SqliteTx(this.conn);
  }

  async run<K extends OpName>(op: K, args: OpArgs<K>): Promise<OpResult<K>> {
    if (this.closed) throw new Error("the store is closed");
    const ready = await prepare(op, args);
    return new Promise<OpResult<K>>((resolve, reject) => {
      this.pending.push({ op, args: ready, resolve: resolve as (v: unknown) => void, reject });
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    try {
      while (this.pending.length) {
        const batch = this.pending.splice(0, MAX_BATCH);
        const results: Array<{ ok: boolean; v: unknown }> = [];
        try {
          await this.tx.run("BEGIN IMMEDIATE");
          for (const job of batch) {
            await this.tx.run("SAVEPOINT op");
            try {
              const v = await (ops[job.op] as (tx: SqliteTx, a: unknown) => Promise<unknown>)(this.tx, job.args);
              await this.tx.run("RELEASE op");
              results.push({ ok: true, v });
            } catch (e) {
              await this.tx.run("ROLLBACK TO op");
              await this.tx.run("RELEASE op");
              results.push({ ok: false, v: e });
            }
          }
          await this.tx.run("COMMIT");
        } catch (e) {
          if (this.conn.inTransaction) this.conn.exec("ROLLBACK");
          for (const job of batch) job.reject(e);
          continue;
        }
        batch.forEach((job, i) => (results[i].ok ? job.resolve(results[i].v) : job.reject(results[i].v)));
      }
    } finally {
      this.flushing = false;
    }
  }

  /** The connection, for reads that must see this runner's commits (tests, the feed). */
  get connection(): Database.Database {
    return this.conn;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.flushing || this.pending.length) await new Promise((r) => setTimeout(r, 5));
    this.conn.close();
  }
}

const RETRYABLE = new Set(["40P01", "40001"]); // deadlock_detected, serialization_failure

export class PgRunner implements OpRunner {
  readonly parsesInline = false;
  /** Transactions retried after a deadlock or serialisation failure (should stay 0: locks are taken in one order). */
  retries = 0;

  constructor(private readonly pool: pg.Pool) {}

  async run<K extends OpName>(op: K, args: OpArgs<K>): Promise<OpResult<K>> {
    const ready = await prepare(op, args); // only when the caller skipped MailStore.deliver
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      let broken = false; // a connection that cannot even roll back is dropped, not reused
      try {
        await client.query("BEGIN");
        const v = (await (ops[op] as (tx: PgTx, a: unknown) => Promise<unknown>)(new PgTx(client), ready)) as OpResult<K>;
        await client.query("COMMIT");
        return v;
      } catch (err) {
        await client.query("ROLLBACK").catch(() => (broken = true));
        if (attempt < 3 && RETRYABLE.has((err as { code?: string }).code ?? "")) {
          this.retries++;
          continue;
        }
        throw err;
      } finally {
        client.release(broken);
      }
    }
  }

  async close(): Promise<void> {
    /* the pool belongs to the caller */
  }
}
