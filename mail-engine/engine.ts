/** Starts and stops the whole engine: store, TLS material, SMTP listeners. */
import { loadConfig, sqlitePath, type Config } from "../lib/config";
import { SqliteStoreWriter } from "../lib/store/sqlite-writer";
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
  const writer = config.provider === "sqlite" ? new SqliteStoreWriter(sqlitePath(config.databaseUrl)) : null;
  const ctx: EngineContext = { config, db, blobs: createBlobStore(config, db), tls, log, writer, summaries: new SummaryPool() };
  let smtp: SmtpListeners;
  try {
    smtp = await startSmtp(ctx, { randomPorts: opts.randomPorts });
  } catch (err) {
    writer?.close();
    await ctx.summaries.close();
    await db.$disconnect();
    throw err;
  }
  return {
    ctx,
    smtp,
    async stop() {
      await smtp.close();
      writer?.close();
      await ctx.summaries.close();
      await db.$disconnect();
      log.info("engine.stopped");
    },
  };
}
