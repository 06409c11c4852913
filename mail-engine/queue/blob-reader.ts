/**
 * Reads the bytes of queued messages. On SQLite a read-only connection of the worker's
 * own serves the database tier: through Prisma every lane's read would wait in one line
 * (its SQLite client runs queries one at a time), which capped delivery at the speed of
 * that line. Files and PostgreSQL go through the blob store as usual.
 */
import Database from "better-sqlite3";
import { sqlitePath, type Config } from "../../lib/config";
import type { BlobStore } from "../../lib/store/blob-store";

export class QueueBlobReader {
  private readonly conn: Database.Database | null;
  private readonly stmt: Database.Statement | null;

  constructor(config: Pick<Config, "provider" | "databaseUrl">, private readonly blobs: BlobStore) {
    this.conn = config.provider === "sqlite" ? new Database(sqlitePath(config.databaseUrl), { readonly: true, timeout: 15_000 }) : null;
    this.stmt = this.conn?.prepare(`SELECT "data" FROM "Blob" WHERE "hash" = ?`) ?? null;
  }

  async get(hash: string): Promise<Buffer> {
    if (!this.stmt) return this.blobs.get(hash);
    const row = this.stmt.get(hash) as { data: Buffer | null } | undefined;
    if (row?.data) return row.data;
    if (!this.blobs.files) throw new Error(`blob ${hash} is not in the database${row ? "" : " (no Blob row)"}`);
    return this.blobs.files.get(hash);
  }

  close(): void {
    this.conn?.close();
  }
}
