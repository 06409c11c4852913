/** Starts and stops the whole engine: store, TLS material, SMTP listeners. */
import { loadConfig, sqlitePath, type Config } from "../lib/config";
import { SqliteLookup } from "../lib/store/sqlite-writer";
import { SqliteWriterThread } from "../lib/store/sqlite-writer-thread";
import { SummaryPool } from "../lib/mime/summary-pool";
import type { RowWriter } from "../lib/store/deliver";
import type { DirectoryLookup } from "../lib/routing/resolve";
import { migrate } from "../lib/db/migrate";
import { createDb } from "../lib/db/client";
import { lazyDb } from "../lib/db/lazy";
import { createBlobStore } from "../lib/store/blob-store";
import { ensureTlsMaterial } from "../lib/tls";
import { log as rootLog, type Logger } from "../lib/log";
import type { EngineContext } from "./context";
import { startSmtp, type SmtpListeners } from "./smtp/server";

export interface Engine {
  ctx: EngineContext;
  smtp: SmtpListeners;
  stop(): Promise<void>;
}

export interface EngineOptions {
  randomPorts?: boolean;
  log?: Logger;
}

export async function startEngine(config: Config = loadConfig(), opts: EngineOptions = {}): Promise<Engine> {
  const log = opts.log ?? rootLog.child({ proc: "engine" });
  const applied = await migrate(config);
  if (applied.length) log.info("db.migrated", { applied });
  // Prisma opens on first use (submission's password check, fallbacks): MX traffic goes
  // through the fast path below and never loads it.
  const prisma = lazyDb(() => createDb(config));
  const db = prisma.db;
  const tls = ensureTlsMaterial(config);
  if (tls.generated) log.warn("tls.self_signed", { cert: tls.certPath, hint: "clients will warn; set TLS_CERT and TLS_KEY to a real certificate" });
  const { writer, lookup, close: closeStore } = await openFastPath(config);
  const ctx: EngineContext = { config, db, blobs: createBlobStore(config, db), tls, log, writer, lookup, summaries: new SummaryPool() };
  let smtp: SmtpListeners;
  try {
    smtp = await startSmtp(ctx, { randomPorts: opts.randomPorts });
  } catch (err) {
    await closeStore();
    await ctx.summaries.close();
    await prisma.close();
    throw err;
  }
  return {
    ctx,
    smtp,
    async stop() {
      await smtp.close();
      await closeStore();
      ctx.blobs.close?.();
      await ctx.summaries.close();
      await prisma.close();
      log.info("engine.stopped");
    },
  };
}

/** The engine's own writer and recipient look-ups, beside Prisma: a writer thread on SQLite, plain SQL on PostgreSQL. */
async function openFastPath(config: Config): Promise<{ writer: RowWriter; lookup: DirectoryLookup; close(): Promise<void> }> {
  if (config.provider === "sqlite") {
    const file = sqlitePath(config.databaseUrl);
    const writer = new SqliteWriterThread(file);
    const lookup = new SqliteLookup(file);
    const close = async () => {
      await writer.close();
      lookup.close();
    };
    return { writer, lookup, close };
  }
  // Imported here so that an engine on SQLite does not load node-postgres.
  const { createPgPool, PgLookup, PgStoreWriter } = await import("../lib/store/pg-writer");
  const pool = createPgPool(config.databaseUrl);
  return { writer: new PgStoreWriter(pool), lookup: new PgLookup(pool), close: () => pool.end() };
}
