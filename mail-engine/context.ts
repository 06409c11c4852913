/** What every part of the engine is given: configuration, the store and TLS material. */
import type { Config } from "../lib/config";
import type { Db } from "../lib/db/client";
import type { BlobStore } from "../lib/store/blob-store";
import type { TlsMaterial } from "../lib/tls";
import type { Logger } from "../lib/log";
import type { RowWriter } from "../lib/store/deliver";
import type { DirectoryLookup } from "../lib/routing/resolve";
import type { SummaryPool } from "../lib/mime/summary-pool";

export interface EngineContext {
  config: Config;
  db: Db;
  blobs: BlobStore;
  tls: TlsMaterial;
  log: Logger;
  /** The fast path for deliveries and recipient look-ups (SQLite writer thread, or plain SQL on PostgreSQL); null: Prisma. */
  writer: RowWriter | null;
  lookup: DirectoryLookup | null;
  /** MIME parsing on a worker thread. */
  summaries: SummaryPool;
}
