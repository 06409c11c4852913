/**
 * Message parsing (message-parser.ts: MIME structure and summary) on a worker thread, so
 * that it runs on another core than SMTP and the store. Falls back to parsing in-process
 * when the worker cannot start or dies.
 */
import { Worker } from "node:worker_threads";
import { parseMessage, type ParsedMessage } from "./message-parser";
import type { MessageSummary } from "./summary";

export class SummaryPool {
  private worker: Worker | null = null;
  private nextId = 1;
  /** How many messages the worker parsed and how many were parsed in-process (no worker, or it failed). */
  readonly counts = { worker: 0, inProcess: 0 };
  private waiting = new Map<number, { resolve(p: ParsedMessage): void; reject(e: Error): void }>();

  constructor() {
    try {
      const w = new Worker(new URL("./summary-worker.mjs", import.meta.url));
      w.unref();
      w.on("message", (m: { id: number; parsed: ParsedMessage }) => {
        const p = this.waiting.get(m.id);
        if (!p) return;
        this.waiting.delete(m.id);
        this.counts.worker++;
        p.resolve(m.parsed); // structured clone keeps sentDate a Date
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

  /** The message's structure, envelope and summary (never rejects). */
  parse(raw: Buffer): Promise<ParsedMessage> {
    const w = this.worker;
    if (!w) return Promise.resolve(this.inProcess(raw));
    const id = this.nextId++;
    return new Promise<ParsedMessage>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      w.postMessage({ id, raw });
    }).catch(() => this.inProcess(raw));
  }

  async summarise(raw: Buffer): Promise<MessageSummary> {
    return (await this.parse(raw)).summary;
  }

  private inProcess(raw: Buffer): ParsedMessage {
    this.counts.inProcess++;
    return parseMessage(raw);
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}
