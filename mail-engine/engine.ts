/** Starts and stops the whole engine: store, TLS material, SMTP listeners. */
import { loadConfig, sqlitePath, type Config } from "../lib/config";
import { SqliteLookup } from "../lib/store/sqlite-writer";
import { SqliteWriterThread } from "../lib/store/sqlite-writer-thread";
import { createPgPool, PgLookup, PgStoreWriter } from "../lib/store/pg-writer";
import { SummaryPool } from "../lib/mime/summary-pool";
import { migrate } from "../lib/db/migrate";
import { createDb } from "../lib/db/client";
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
  const db = await createDb(config);
  const tls = ensureTlsMaterial(config);
  if (tls.generated) log.warn("tls.self_signed", { cert: tls.certPath, hint: "clients will warn; set TLS_CERT and TLS_KEY to a real certificate" });
  const sqlite = config.provider === "sqlite" ? sqlitePath(config.databaseUrl) : null;
  const pool = sqlite ? null : createPgPool(config.databaseUrl);
  const writer = sqlite ? new SqliteWriterThread(sqlite) : new PgStoreWriter(pool!);
  const lookup = sqlite ? new SqliteLookup(sqlite) : new PgLookup(pool!);
  const closeStore = async () => {
    if (writer instanceof SqliteWriterThread) await writer.close();
    if (lookup instanceof SqliteLookup) lookup.close();
    await pool?.end();
  };
  const ctx: EngineContext = { config, db, blobs: createBlobStore(config, db), tls, log, writer, lookup, summaries: new SummaryPool() };
  let smtp: SmtpListeners;
  try {
    smtp = await startSmtp(ctx, { randomPorts: opts.randomPorts });
  } catch (err) {
    await closeStore();
    await ctx.summaries.close();
    await db.$disconnect();
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
      await db.$disconnect();
      log.info("engine.stopped");
    },
  };
}
