/**
 * The one-shot part of `npm start`, run as its own short-lived process before the web app
 * and the engine start: applies migrations, makes sure TLS material exists and prints how
 * to create the first admin. Separate from the supervisor (start.ts) so that the
 * database clients it loads do not stay in the supervisor's memory for the suite's life.
 */
import { loadConfig, ConfigError } from "../lib/config";
import { migrate } from "../lib/db/migrate";
import { createDb } from "../lib/db/client";
import { adminExists } from "../lib/directory";
import { ensureTlsMaterial } from "../lib/tls";
import { log } from "../lib/log";

const slog = log.child({ proc: "start" });

async function main() {
  const config = loadConfig();
  const applied = await migrate(config);
  slog.info("db.ready", { database: config.provider, applied });
  const tls = ensureTlsMaterial(config);
  if (tls.generated) slog.warn("tls.self_signed", { cert: tls.certPath, hint: "set TLS_CERT and TLS_KEY to use a real certificate" });

  const db = await createDb(config);
  const hasAdmin = await adminExists(db);
  await db.$disconnect();
  if (!hasAdmin) {
    process.stdout.write(
      "\nNo admin account exists yet. Create a domain and an admin with:\n" +
        "  npx mailctl domain add example.com\n" +
        "  npx mailctl user add you@example.com --password '...' --admin\n\n",
    );
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    slog.error("start.failed", { error: err, hint: err instanceof ConfigError ? "fix the setting named above in the environment or .env" : undefined });
    process.exit(1);
  },
);
