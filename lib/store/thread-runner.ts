/**
 * The engine's handle on the SQLite writer thread (writer-worker.ts), which runs the
 * store's ops on a SqliteRunner so a COMMIT's fsync never blocks the event loop. Kept
 * apart from runner.ts so that only the engine imports the worker entry (the web app's
 * bundler would otherwise follow it).
 */
import type { Worker } from "node:worker_threads";
import { startWorker } from "../threads/start-thread";
import { reviveError, type StoreErrorCode } from "./errors";
import type { OpArgs, OpName, OpResult } from "./ops";
import type { OpRunner } from "./runner";

/** Old-generation heap cap of the writer thread, in MB. */
const WRITER_HEAP_MB = 64;

interface Waiter {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

/**
 * A thread that dies
 * fails what it had in hand (SMTP answers 451, the client retries) and is started again
 * on next use.
 */
export class SqliteThreadRunner implements OpRunner {
  readonly parsesInline = true;
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, Waiter>();

  constructor(private readonly file: string) {
    this.start();
  }

  private start(): Worker {
    // The thread's live data is small (a batch of rows, the parse of messages up to
    // BLOB_INLINE_MAX); without a cap V8 lets its garbage grow with traffic. Running out
    // kills only this thread: its messages get 451 and the next op starts a new one.
    const w = startWorker(new URL("./writer-worker.ts", import.meta.url), { workerData: { file: this.file }, resourceLimits: { maxOldGenerationSizeMb: WRITER_HEAP_MB } });
    w.on("message", (m: { id: number; result?: unknown; error?: { message: string; code?: string; storeCode?: StoreErrorCode } }) => {
      const waiter = this.waiting.get(m.id);
      if (!waiter) return;
      this.waiting.delete(m.id);
      if (m.error) waiter.reject(reviveError(m.error));
      else waiter.resolve(m.result);
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

  run<K extends OpName>(op: K, args: OpArgs<K>): Promise<OpResult<K>> {
    const w = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise<OpResult<K>>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      w.postMessage({ id, op, args });
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

