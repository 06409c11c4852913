/**
 * Tells a process about changes other processes made, within a second: IMAP IDLE and the
 * web's server-sent events subscribe here. The journal (journal.ts) is the source; this
 * only says when to read it.
 *
 * - PostgreSQL: LISTEN on the journal's channel (a NOTIFY is raised in the same
 *   transaction as each change and delivered at commit), plus a slow poll as a safety net
 *   for notifications lost while the listening connection was down.
 * - SQLite: a poll of `PRAGMA data_version` every POLL_MS on a read-only connection,
 *   which changes when another connection commits; only then are the new journal rows
 *   read. It costs a few microseconds per poll and works for every process on the file,
 *   without a socket between them.
 *
 * Polling and listening run only while someone is subscribed.
 */
import { EventEmitter } from "node:events";
import Database from "better-sqlite3";
import type pg from "pg";
import { sqlitePath, type Config } from "../config";
import { changesAfterId, lastChangeId, NOTIFY_CHANNEL, type Change } from "./journal";
import { PgTx, SqliteTx, type StoreTx } from "./tx";

export const POLL_MS = 200;
const PG_SAFETY_POLL_MS = 5_000;

export type ChangeListener = (change: Change) => void;

export class ChangeFeed {
  private readonly events = new EventEmitter();
  private subscribers = 0;
  private lastId = -1;
  private timer: NodeJS.Timeout | null = null;
  private reading = false;
  private again = false;
  private sqlite: { conn: Database.Database; tx: StoreTx; version: number } | null = null;
  private pgClient: pg.Client | null = null;
  private pgTx: StoreTx | null = null;
  private closed = false;

  constructor(private readonly config: Pick<Config, "provider" | "databaseUrl">) {
    this.events.setMaxListeners(0);
  }

  /** Calls `fn` for each change of `accountId` (every account when null) from now on; returns the unsubscribe. */
  subscribe(accountId: string | null, fn: ChangeListener): () => void {
    const key = accountId ?? "*";
    this.events.on(key, fn);
    if (this.subscribers++ === 0) void this.start();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.events.off(key, fn);
      if (--this.subscribers === 0) this.stop();
    };
  }

  private async start(): Promise<void> {
    try {
      if (this.config.provider === "sqlite") {
        if (!this.sqlite) {
          const conn = new Database(sqlitePath(this.config.databaseUrl), { readonly: true, timeout: 5_000 });
          this.sqlite = { conn, tx: new SqliteTx(conn), version: -1 };
        }
        if (this.lastId < 0) this.lastId = await lastChangeId(this.sqlite.tx);
        this.timer = setInterval(() => this.pollSqlite(), POLL_MS);
      } else {
        await this.listenPg();
        this.timer = setInterval(() => void this.read(), PG_SAFETY_POLL_MS);
      }
      this.timer.unref();
    } catch (err) {
      this.events.emit("error", err);
    }
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private pollSqlite(): void {
    const s = this.sqlite;
    if (!s) return;
    const v = s.conn.pragma("data_version", { simple: true }) as number;
    if (v === s.version) return;
    s.version = v;
    void this.read();
  }

  private async listenPg(): Promise<void> {
    if (this.pgClient) return;
    // Loaded here, not at the top: an engine on SQLite never needs the driver in memory.
    const { default: pgModule } = await import("pg");
    if (this.pgClient || this.closed) return;
    const client = new pgModule.Client({ connectionString: this.config.databaseUrl });
    client.on("error", () => {
      // The connection died: drop it, catch up by polling, and listen again.
      if (this.pgClient === client) {
        this.pgClient = null;
        this.pgTx = null;
      }
      setTimeout(() => {
        if (!this.closed && this.subscribers > 0) void this.listenPg().then(() => this.read()).catch(() => undefined);
      }, 1000).unref();
    });
    await client.connect();
    client.on("notification", () => void this.read());
    await client.query(`LISTEN ${NOTIFY_CHANNEL}`);
    this.pgClient = client;
    this.pgTx = new PgTx(client);
    if (this.lastId < 0) this.lastId = await lastChangeId(this.pgTx);
  }

  /** Reads the journal past the last row seen and hands each row out. */
  private async read(): Promise<void> {
    if (this.reading) {
      this.again = true;
      return;
    }
    const tx = this.sqlite?.tx ?? this.pgTx;
    if (!tx || this.lastId < 0) return;
    this.reading = true;
    try {
      do {
        this.again = false;
        for (;;) {
          const rows = await changesAfterId(tx, this.lastId);
          for (const c of rows) {
            this.lastId = c.id;
            this.events.emit(c.accountId, c);
            this.events.emit("*", c);
          }
          if (rows.length < 1000) break;
        }
      } while (this.again);
    } catch {
      /* the database is busy or restarting: the next poll or notification tries again */
    } finally {
      this.reading = false;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stop();
    this.sqlite?.conn.close();
    this.sqlite = null;
    const c = this.pgClient;
    this.pgClient = null;
    await c?.end().catch(() => undefined);
  }
}
