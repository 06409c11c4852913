/**
 * Writes the attempt results of many messages in one store op: results that come in while
 * a write is under way wait for it and then go together in the next. On PostgreSQL that
 * is one transaction (one commit) for a burst of deliveries instead of one per message; on
 * SQLite one op, one savepoint and one hand-off to the writer thread instead of one each.
 * A recipient's row still says "delivered" only after the remote 250, and the write is
 * guarded by the worker's lease as before (lib/store/ops/queue.ts).
 */
import type { AttemptResult } from "../../lib/store/ops/queue";

/** Results per op at most (a few statements each): keeps one transaction short. */
export const MAX_RESULTS_PER_WRITE = 200;

interface Waiting {
  results: AttemptResult[];
  now: Date;
  resolve(written: Set<string>): void;
  reject(err: unknown): void;
}

export type WriteResults = (results: AttemptResult[], now: Date) => Promise<string[]>;

export class ResultWriter {
  private waiting: Waiting[] = [];
  private writing = false;

  constructor(private readonly write: WriteResults) {}

  /** Resolves with the ids of the recipients written (held under this worker's lease) among all of the batch. */
  record(results: AttemptResult[], now: Date): Promise<Set<string>> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ results, now, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.waiting.length) {
        const batch: Waiting[] = [];
        let n = 0;
        while (this.waiting.length && (batch.length === 0 || n + this.waiting[0].results.length <= MAX_RESULTS_PER_WRITE)) {
          const w = this.waiting.shift()!;
          batch.push(w);
          n += w.results.length;
        }
        await this.writeBatch(batch);
      }
    } finally {
      this.writing = false;
    }
  }

  private async writeBatch(batch: Waiting[]): Promise<void> {
    try {
      // The earliest time of the batch: the attempts all ended by then, within milliseconds.
      const written = new Set(await this.write(batch.flatMap((w) => w.results), batch[0].now));
      for (const w of batch) w.resolve(written);
    } catch (err) {
      if (batch.length === 1) return batch[0].reject(err);
      // One message's results must not fail its neighbours': each is tried on its own.
      for (const w of batch) await this.writeBatch([w]);
    }
  }
}
