/**
 * Message parsing (message-parser.ts: MIME structure and summary) on a worker thread, so
 * that it runs on another core than SMTP and the store. Falls back to parsing in-process
 * when the worker cannot start or dies. The thread runs only while there is work
 * (started on demand, stopped after IDLE_STOP_MS idle).
 */
import type { Worker } from "node:worker_threads";
import { startWorker } from "../threads/start-thread";
import type { ParsedMessage } from "./message-parser";
import type { MessageSummary } from "./summary";

/** A worker idle this long is stopped: its V8 heap (tens of MB) goes back to the system until the next message. */
const IDLE_STOP_MS = 30_000;

/** The parser module, loaded on first use (its libraries cost an isolate ~15 MB). */
let parser: typeof import("./message-parser") | null = null;
async function parseHere(raw: Buffer): Promise<ParsedMessage> {
  parser ??= await import("./message-parser");
  return parser.parseMessage(raw);
}

export class SummaryPool {
  private worker: Worker | null = null;
  private nextId = 1;
  /** How many messages the worker parsed and how many were parsed in-process (no worker, or it failed). */
  readonly counts = { worker: 0, inProcess: 0 };
  private waiting = new Map<number, { resolve(p: ParsedMessage): void; reject(e: Error): void }>();
  private idleTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly idleStopMs = IDLE_STOP_MS) {}

  /** The worker starts on first use. */
  private start(): Worker | null {
    if (this.worker || this.closed) return this.worker;
    try {
      const w = startWorker(new URL("./summary-worker.ts", import.meta.url));
      w.unref();
      w.on("message", (m: { id: number; parsed: ParsedMessage }) => {
        const p = this.waiting.get(m.id);
        if (!p) return;
        this.waiting.delete(m.id);
        this.counts.worker++;
        p.resolve(m.parsed); // structured clone keeps sentDate a Date
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

  /** The message's structure, envelope and summary (never rejects). */
  parse(raw: Buffer): Promise<ParsedMessage> {
    const w = this.start();
    if (!w) return this.inProcess(raw);
    if (this.idleTimer) {
      clearTimeout(this.idleTimer);
      this.idleTimer = null;
    }
    const id = this.nextId++;
    return new Promise<ParsedMessage>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      w.postMessage({ id, raw });
    }).catch(() => this.inProcess(raw));
  }

  async summarise(raw: Buffer): Promise<MessageSummary> {
    return (await this.parse(raw)).summary;
  }

  private inProcess(raw: Buffer): Promise<ParsedMessage> {
    this.counts.inProcess++;
    return parseHere(raw);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}
