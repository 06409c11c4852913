/**
 * Message summaries computed on a worker thread, so that MIME parsing (about half of
 * the engine's CPU per inbound message) runs on another core than SMTP and the store.
 * Falls back to parsing in-process when the worker cannot start or dies. The thread runs
 * only while there is work (started on demand, stopped after IDLE_STOP_MS idle).
 */
import type { Worker } from "node:worker_threads";
import { startWorker } from "../threads/start-thread";
import type { MessageSummary } from "./summary";
import { summarise } from "./summary-lazy";

/** A worker idle this long is stopped: its V8 heap (tens of MB) goes back to the system until the next large message. */
const IDLE_STOP_MS = 30_000;

export class SummaryPool {
  private worker: Worker | null = null;
  private nextId = 1;
  private waiting = new Map<number, { resolve(s: MessageSummary): void; reject(e: Error): void }>();
  private idleTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly idleStopMs = IDLE_STOP_MS) {}

  /** The worker starts on first use: most messages are small and summarised by the store writer instead. */
  private start(): Worker | null {
    if (this.worker || this.closed) return this.worker;
    try {
      const w = startWorker(new URL("./summary-worker.ts", import.meta.url));
      w.unref();
      w.on("message", (m: { id: number; summary?: MessageSummary; error?: string }) => {
        const p = this.waiting.get(m.id);
        if (!p) return;
        this.waiting.delete(m.id);
        if (m.summary) p.resolve({ ...m.summary, sentDate: m.summary.sentDate ? new Date(m.summary.sentDate) : null });
        else p.reject(new Error(m.error ?? "summary failed"));
        if (this.waiting.size === 0) this.armIdleStop(w);
      });
      w.on("error", () => this.fail(w));
      w.on("exit", () => this.fail(w));
      this.worker = w;
    } catch {
      this.worker = null;
    }
    return this.worker;
  }

  private armIdleStop(w: Worker) {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.worker === w && this.waiting.size === 0) {
        this.worker = null;
        void w.terminate();
      }
    }, this.idleStopMs);
    this.idleTimer.unref();
  }

  private fail(w: Worker) {
    if (this.worker !== w) return;
    this.worker = null;
    const pending = [...this.waiting.values()];
    this.waiting.clear();
    for (const p of pending) p.reject(new Error("the summary worker stopped"));
  }

  summarise(raw: Buffer): Promise<MessageSummary> {
    const w = this.start();
    if (!w) return summarise(raw);
    if (this.idleTimer) {
      clearTimeout(this.idleTimer);
      this.idleTimer = null;
    }
    const id = this.nextId++;
    return new Promise<MessageSummary>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      w.postMessage({ id, raw });
    }).catch(() => summarise(raw));
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}
