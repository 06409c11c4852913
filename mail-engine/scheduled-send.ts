/**
 * The engine's sender of pending webmail sends (undo send, scheduled send): every
 * POLL_MS it submits the rows whose time has come (lib/submission/pending.ts). It runs
 * in the engine, not the web app, so a message scheduled for tomorrow leaves even when
 * nobody has the webmail open, and a restart of either process loses nothing.
 *
 * The per-second check is one plain SQL read of the earliest send time (a read-only
 * SQLite connection, or the engine's PostgreSQL pool), so an engine with nothing due
 * never loads Prisma (lazy in the engine, tens of MB) for it.
 */
import Database from "better-sqlite3";
import type pg from "pg";
import type { EngineContext } from "./context";

/** Undo send holds a message for N seconds: it leaves within a second after that. */
export const POLL_MS = 1000;

/** The earliest send time of any pending send, or null when there is none. */
export type NextDue = () => Promise<Date | null>;

const EARLIEST = `SELECT "sendAt" FROM "PendingSend" ORDER BY "sendAt" LIMIT 1`;

export function sqliteNextDue(file: string): { next: NextDue; close(): void } {
  let conn: Database.Database | null = null;
  return {
    async next() {
      // Opened on first use: the database may be created after the engine object is.
      conn ??= new Database(file, { readonly: true, timeout: 15_000 });
      const row = conn.prepare(EARLIEST).get() as { sendAt: string | number } | undefined;
      return row ? new Date(typeof row.sendAt === "number" ? row.sendAt : Date.parse(row.sendAt)) : null;
    },
    close: () => conn?.close(),
  };
}

export function pgNextDue(pool: pg.Pool): NextDue {
  return async () => {
    // The column is a timestamp without time zone holding UTC (Prisma's convention): read it as epoch ms.
    const r = await pool.query<{ ms: string }>(`SELECT (EXTRACT(EPOCH FROM "sendAt") * 1000)::bigint AS "ms" FROM "PendingSend" ORDER BY "sendAt" LIMIT 1`);
    return r.rows[0] ? new Date(Number(r.rows[0].ms)) : null;
  };
}

export class ScheduledSender {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(
    private readonly ctx: EngineContext,
    private readonly nextDue: NextDue,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), POLL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One round; rounds never overlap. */
  async tick(): Promise<void> {
    if (this.running) return;
    const { config, db, store, lookup, log } = this.ctx;
    this.running = (async () => {
      const at = await this.nextDue();
      // An unreadable time counts as due: sendDue decides with the real comparison.
      if (!at || at.getTime() > Date.now()) return;
      // The submission path (header checks, libmime and its charset tables) loads with the first due send.
      const { sendDue } = await import("../lib/submission/pending");
      await sendDue({ config, db, store, lookup, log });
    })()
      .catch((err) => log.error("pending_send.round_failed", { error: err }))
      .finally(() => (this.running = null));
    await this.running;
  }
}
