/** What every part of the engine is given: configuration, the store and TLS material. */
import type { Config } from "../lib/config";
import type { Db } from "../lib/db/client";
import type { BlobStore } from "../lib/store/blob-store";
import type { TlsMaterial } from "../lib/tls";
import type { Logger } from "../lib/log";
import type { DirectoryLookup } from "../lib/routing/resolve";
import type { MailStore } from "../lib/store";
import type { ChangeFeed } from "../lib/store/change-feed";

export interface EngineContext {
  config: Config;
  db: Db;
  blobs: BlobStore;
  tls: TlsMaterial;
  log: Logger;
  /** Every change to mailboxes goes through the store (on SQLite: its writer thread). */
  store: MailStore;
  /** Recipient look-ups as plain SQL (lib/routing/lookup.ts). */
  lookup: DirectoryLookup | null;
  /** The process's one change feed (IMAP IDLE and updates); it reads the journal only while someone listens. */
  feed: ChangeFeed;
}
