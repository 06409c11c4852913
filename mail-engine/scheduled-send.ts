/**
 * The engine's sender of pending webmail sends (undo send, scheduled send): every
 * POLL_MS it submits the rows whose time has come (lib/submission/pending.ts). It runs
 * in the engine, not the web app, so a message scheduled for tomorrow leaves even when
 * nobody has the webmail open, and a restart of either process loses nothing.
 */
import type { EngineContext } from "./context";
import { sendDue } from "../lib/submission/pending";

/** Undo send holds a message for N seconds: it leaves within a second after that. */
export const POLL_MS = 1000;

export class ScheduledSender {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(private readonly ctx: EngineContext) {}

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
    this.running = sendDue({ config, db, store, lookup, log })
      .catch((err) => log.error("pending_send.round_failed", { error: err }))
      .finally(() => (this.running = null));
    await this.running;
  }
}
