/**
 * Message summaries computed on a worker thread, so that MIME parsing (about half of
 * the engine's CPU per inbound message) runs on another core than SMTP and the store.
 * Falls back to parsing in-process when the worker cannot start or dies.
 */
import { Worker } from "node:worker_threads";
import { summarise, type MessageSummary } from "./summary";

export class SummaryPool {
  private worker: Worker | null = null;
  private nextId = 1;
  /** How many summaries came from the worker and how many were made in-process (no worker, or it failed). */
  readonly counts = { worker: 0, inProcess: 0 };
  private waiting = new Map<number, { resolve(s: MessageSummary): void; reject(e: Error): void }>();

  constructor() {
    try {
      const w = new Worker(new URL("./summary-worker.mjs", import.meta.url));
      w.unref();
      w.on("message", (m: { id: number; summary?: MessageSummary; error?: string }) => {
        const p = this.waiting.get(m.id);
        if (!p) return;
        this.waiting.delete(m.id);
        if (m.summary) this.counts.worker++;
        if (m.summary) p.resolve({ ...m.summary, sentDate: m.summary.sentDate ? new Date(m.summary.sentDate) : null });
        else p.reject(new Error(m.error ?? "summary failed"));
      });
      w.on("error", () => this.fail());
      w.on("exit", () => this.fail());
      this.worker = w;
    } catch {
      this.worker = null;
    }
  }

  private fail() {
    this.worker = null;
    const pending = [...this.waiting.values()];
    this.waiting.clear();
    for (const p of pending) p.reject(new Error("the summary worker stopped"));
  }

  summarise(raw: Buffer): Promise<MessageSummary> {
    const w = this.worker;
    if (!w) return this.inProcess(raw);
    const id = this.nextId++;
    return new Promise<MessageSummary>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      w.postMessage({ id, raw });
    }).catch(() => this.inProcess(raw));
  }

  private inProcess(raw: Buffer): Promise<MessageSummary> {
    this.counts.inProcess++;
    return summarise(raw);
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}
