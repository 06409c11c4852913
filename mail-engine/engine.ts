/** Starts and stops the whole engine: store, TLS material, SMTP, IMAP and POP3 listeners, the outbound queue worker. */
import { loadConfig, sqlitePath, type Config } from "../lib/config";
import { SqliteLookup, PgLookup } from "../lib/routing/lookup";
import { SummaryPool } from "../lib/mime/summary-pool";
import { createPgPool, openStore } from "../lib/store";
import { BlobSweeper } from "../lib/store/blob-sweeper";
import { toStoreParse } from "../lib/store/parse";
import { SqliteThreadRunner } from "../lib/store/thread-runner";
import { migrate } from "../lib/db/migrate";
import { createDb } from "../lib/db/client";
import { lazyDb } from "../lib/db/lazy";
import { ensureTlsMaterial } from "../lib/tls";
import { log as rootLog, type Logger } from "../lib/log";
import type { EngineContext } from "./context";
import { startSmtp, type SmtpListeners } from "./smtp/server";
import { startPop3, type Pop3Listeners } from "./pop3/server";
import { ChangeFeed } from "../lib/store/change-feed";
import { ScheduledSender, pgNextDue, sqliteNextDue } from "./scheduled-send";
import type { ImapListeners } from "./imap/server";
import { QueueWorker } from "./queue/worker";

export interface Engine {
  ctx: EngineContext;
  smtp: SmtpListeners;
  pop3: Pop3Listeners;
  imap: ImapListeners;
  queue: QueueWorker;
  stop(): Promise<void>;
}

export interface EngineOptions {
  randomPorts?: boolean;
  log?: Logger;
  /** Run the outbound queue worker (default true; tests of other parts keep queued mail still). */
  queueWorker?: boolean;
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
  const summaries = new SummaryPool();
  const pool = config.provider === "postgresql" ? await createPgPool(config.databaseUrl) : null;
  const runner = pool ? undefined : new SqliteThreadRunner(sqlitePath(config.databaseUrl));
  const store = openStore(config, db, { runner, pool: pool ?? undefined, summaries: { parse: async (raw) => toStoreParse(await summaries.parse(raw)) } });
  const lookup = pool ? new PgLookup(pool) : new SqliteLookup(sqlitePath(config.databaseUrl));
  const feed = new ChangeFeed(config);
  const ctx: EngineContext = { config, db, blobs: store.blobs, tls, log, store, lookup, feed };
  const sweeper = new BlobSweeper(store, log);
  const sqliteDue = pool ? null : sqliteNextDue(sqlitePath(config.databaseUrl));
  const scheduled = new ScheduledSender(ctx, pool ? pgNextDue(pool) : sqliteDue!.next);
  const closeStore = async () => {
    sweeper.stop();
    await scheduled.stop();
    sqliteDue?.close();
    await feed.close();
    await store.close();
    if ("close" in lookup) lookup.close();
    await summaries.close();
    await pool?.end();
    await prisma.close();
  };
  let smtp: SmtpListeners;
  let pop3: Pop3Listeners;
  let imap: ImapListeners;
  try {
    smtp = await startSmtp(ctx, { randomPorts: opts.randomPorts });
    pop3 = await startPop3(ctx, { randomPorts: opts.randomPorts }).catch(async (err) => {
      await smtp.close();
      throw err;
    });
  } catch (err) {
    await closeStore();
    throw err;
  }
  try {
    // Loaded only when an IMAP port is enabled: an MX-only engine does without it.
    imap = config.imapPort || config.imapsPort
      ? await (await import("./imap/server")).startImap(ctx, feed, { randomPorts: opts.randomPorts })
      : { ports: {}, sessions: new Set(), close: async () => undefined };
  } catch (err) {
    await pop3.close();
    await smtp.close();
    await closeStore();
    throw err;
  }
  sweeper.start();
  const queue = new QueueWorker(ctx);
  if (opts.queueWorker !== false) queue.start();
  scheduled.start();
  return {
    ctx,
    smtp,
    imap,
    pop3,
    queue,
    async stop() {
      await queue.stop();
      await imap.close();
      await pop3.close();
      await smtp.close();
      await closeStore();
      log.info("engine.stopped");
    },
  };
}
