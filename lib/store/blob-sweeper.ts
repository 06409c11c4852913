/**
 * The engine's housekeeping of the blob store: every SWEEP_INTERVAL_MS it frees blobs no
 * message or queue entry uses any more (rows and files, ops/blobs.ts), so deleting
 * messages, accounts or domains gives their bytes back within a minute. Less often it
 * removes stale temporary files (a crash mid-write) and files without a row (a delivery
 * that failed after its file was written), both only once older than ORPHAN_GRACE_MS,
 * far longer than any delivery takes.
 */
import fs from "node:fs";
import path from "node:path";
import type { Logger } from "../log";
import type { MailStore } from "./index";

export const SWEEP_INTERVAL_MS = 15_000;
const ORPHAN_INTERVAL_MS = 6 * 3600_000;
export const ORPHAN_GRACE_MS = 3600_000;
/** Expunged UIDs are kept this long for QRESYNC clients (RFC 7162 3.2.5.2); older ones get a conservative answer. */
export const VANISHED_RETENTION_MS = 180 * 86400_000;

export class BlobSweeper {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private lastOrphanScan = 0;

  constructor(
    private readonly store: MailStore,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One round: freed blobs, and (every few hours, and at the first round) stale and orphan files and old expunged UIDs. */
  async tick(now = Date.now(), opts: { graceMs?: number; orphans?: boolean } = {}): Promise<{ rows: number; files: number; tmp: number; orphans: number; indexed: number; vanished: number }> {
    if (this.running) return { rows: 0, files: 0, tmp: 0, orphans: 0, indexed: 0, vanished: 0 };
    this.running = true;
    const out = { rows: 0, files: 0, tmp: 0, orphans: 0, indexed: 0, vanished: 0 };
    try {
      for (;;) {
        const r = await this.store.sweep(500);
        out.rows += r.rows;
        out.files += r.files;
        if (r.rows < 500) break;
      }
      // --- search index: blobs stored before it existed get their words, a few hundred a round.
      out.indexed = await this.store.indexPending(200);
      // --- end search index
      const root = this.store.blobs.files?.root;
      if (opts.orphans || now - this.lastOrphanScan > ORPHAN_INTERVAL_MS) {
        this.lastOrphanScan = now;
        out.vanished = await this.store.run("pruneVanished", { before: new Date(now - VANISHED_RETENTION_MS) });
        if (root) {
          const grace = opts.graceMs ?? ORPHAN_GRACE_MS;
          out.tmp = removeOld(path.join(root, "tmp"), now - grace);
          out.orphans = await this.dropOrphans(root, grace);
        }
      }
      if (out.rows || out.tmp || out.orphans || out.indexed || out.vanished) this.log.info("store.swept", out);
    } catch (err) {
      this.log.error("store.sweep_failed", { error: err, hint: "the sweep runs again shortly; unused blobs wait until then" });
    } finally {
      this.running = false;
    }
    return out;
  }

  private async dropOrphans(root: string, graceMs: number): Promise<number> {
    let dropped = 0;
    for (let i = 0; i < 256; i++) {
      const dir = path.join(root, i.toString(16).padStart(2, "0"));
      let names: string[];
      try {
        names = fs.readdirSync(dir);
      } catch {
        continue;
      }
      for (let j = 0; j < names.length; j += 500) {
        dropped += await this.store.run("dropOrphanFiles", { fileRoot: root, hashes: names.slice(j, j + 500).filter((n) => /^[0-9a-f]{64}$/.test(n)), graceMs });
      }
    }
    return dropped;
  }
}

function removeOld(dir: string, cutoff: number): number {
  let n = 0;
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    const f = path.join(dir, name);
    try {
      if (fs.statSync(f).mtimeMs < cutoff) {
        fs.unlinkSync(f);
        n++;
      }
    } catch {
      /* gone meanwhile */
    }
  }
  return n;
}
