/**
 * The engine's handle on the SQLite writer thread. write() resolves once the rows are
 * committed (synchronous=FULL) on the writer thread; a thread that dies fails what it
 * had in hand (the SMTP client gets 451 and retries) and is started again on next use.
 */
import type { Worker } from "node:worker_threads";
import { startWorker } from "../threads/start-thread";
import type { Delivered, PreparedDelivery, RowWriter } from "./deliver";

interface Waiter {
  resolve(v: Delivered[]): void;
  reject(e: Error): void;
}

/** Old-generation heap cap of the writer thread, in MB. */
const WRITER_HEAP_MB = 64;

export class SqliteWriterThread implements RowWriter {
  readonly parsesSummaries = true;
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, Waiter>();

  constructor(private readonly file: string) {
    this.start();
  }

  private start(): Worker {
    // The thread's live data is small (a batch of rows, summaries of messages up to
    // BLOB_INLINE_MAX); without a cap V8 lets its garbage grow with traffic (engine RSS
    // 150 MB after 12,000 messages, 134 MB with it). Running out kills only this thread:
    // its messages get 451 and the next write starts a new one.
    const w = startWorker(new URL("./sqlite-writer-worker.ts", import.meta.url), { workerData: { file: this.file }, resourceLimits: { maxOldGenerationSizeMb: WRITER_HEAP_MB } });
    w.on("message", (m: { id: number; delivered?: Delivered[]; error?: { message: string; code?: string } }) => {
      const waiter = this.waiting.get(m.id);
      if (!waiter) return;
      this.waiting.delete(m.id);
      if (m.error) waiter.reject(Object.assign(new Error(m.error.message), { code: m.error.code }));
      else waiter.resolve(m.delivered!);
    });
    const fail = (why: string) => {
      if (this.worker === w) this.worker = null;
      const pending = [...this.waiting.values()];
      this.waiting.clear();
      for (const p of pending) p.reject(new Error(`the store writer thread ${why}`));
    };
    w.on("error", (err) => fail(`failed: ${err.message}`));
    w.on("exit", () => fail("exited"));
    this.worker = w;
    return w;
  }

  write(d: PreparedDelivery): Promise<Delivered[]> {
    const w = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      w.postMessage({ id, d });
    });
  }

  /** Lets the thread commit what it holds, then stops it. */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (!w) return;
    const exited = new Promise<void>((r) => w.once("exit", () => r()));
    w.postMessage({ id: 0, close: true });
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    await w.terminate();
  }
}
