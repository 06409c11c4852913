/**
 * Freeing blobs. A blob's reference count (Message and OutboundMessage rows, kept by
 * triggers) reaching 0 makes it garbage; sweepBlobs deletes such rows and, for the file
 * tier, unlinks the file before the deletion commits. Deliveries of a file-tier blob
 * check, under the transaction's lock and after upserting the row, that the file still
 * exists (deliverRows), so a sweep racing a new delivery of the same bytes makes that
 * delivery fail temporarily (SMTP 451) instead of leaving a row that points at nothing.
 */
import fs from "node:fs";
import path from "node:path";
import type { StoreTx } from "../tx";

const HASH = /^[0-9a-f]{64}$/;

export function blobFile(root: string, hash: string): string {
  if (!HASH.test(hash)) throw new Error(`not a blob hash: ${hash}`);
  return path.join(root, hash.slice(0, 2), hash);
}

export interface SweepArgs {
  /** DATA_DIR/blobs, or null without a file tier. */
  fileRoot: string | null;
  limit: number;
}

export interface SweepResult {
  rows: number;
  files: number;
  bytes: number;
}

export async function sweepBlobs(tx: StoreTx, a: SweepArgs): Promise<SweepResult> {
  const rows = await tx.all<{ hash: string; size: number; isFile: number | boolean }>(
    `SELECT "hash", "size", CASE WHEN "data" IS NULL THEN 1 ELSE 0 END AS "isFile" FROM "Blob" WHERE "refCount" <= 0 LIMIT $1`,
    [a.limit],
  );
  const out: SweepResult = { rows: 0, files: 0, bytes: 0 };
  for (const r of rows) {
    const n = await tx.run(`DELETE FROM "Blob" WHERE "hash" = $1 AND "refCount" <= 0`, [r.hash]);
    if (n === 0) continue;
    out.rows++;
    out.bytes += Number(r.size);
    if (Number(r.isFile) && a.fileRoot && unlinkQuietly(blobFile(a.fileRoot, r.hash))) out.files++;
  }
  return out;
}

/**
 * Files with no Blob row (a delivery that failed after its file was written, or a crash
 * between the two): unlinked when older than `graceMs`, checked under the lock.
 */
export async function dropOrphanFiles(tx: StoreTx, a: { fileRoot: string; hashes: string[]; graceMs: number }): Promise<number> {
  let dropped = 0;
  const cutoff = Date.now() - a.graceMs;
  for (const hash of a.hashes) {
    if (await tx.get(`SELECT 1 AS "x" FROM "Blob" WHERE "hash" = $1`, [hash])) continue;
    const file = blobFile(a.fileRoot, hash);
    try {
      if (fs.statSync(file).mtimeMs > cutoff) continue;
    } catch {
      continue;
    }
    if (unlinkQuietly(file)) dropped++;
  }
  return dropped;
}

function unlinkQuietly(file: string): boolean {
  try {
    fs.unlinkSync(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
}
