/** What every part of the engine is given: configuration, the store and TLS material. */
import type { Config } from "../lib/config";
import type { Db } from "../lib/db/client";
import type { BlobStore } from "../lib/store/blob-store";
import type { TlsMaterial } from "../lib/tls";
import type { Logger } from "../lib/log";
import type { SqliteLookup } from "../lib/store/sqlite-writer";
import type { SqliteWriterThread } from "../lib/store/sqlite-writer-thread";
import type { SummaryPool } from "../lib/mime/summary-pool";

export interface EngineContext {
  config: Config;
  db: Db;
  blobs: BlobStore;
  tls: TlsMaterial;
  log: Logger;
  /** The SQLite fast path for deliveries and recipient look-ups; null on PostgreSQL. */
  writer: SqliteWriterThread | null;
  lookup: SqliteLookup | null;
  /** MIME parsing on a worker thread. */
  summaries: SummaryPool;
}
