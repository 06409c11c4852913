/**
 * An engine for running outside IMAP testers (Dovecot's imaptest) against: a fresh SQLite
 * database in a temporary directory, domain example.test, accounts testuser1..5 with the
 * password given, IMAP on the port given (no other listeners). Stops on SIGINT/SIGTERM.
 *
 *   node --import tsx scripts/imap-test-server.ts 10993 imaptest-pass
 *   imaptest.sh target 127.0.0.1 10993 'testuser%d@example.test' imaptest-pass
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadConfig } from "../lib/config";
import { migrate } from "../lib/db/migrate";
import { createDb } from "../lib/db/client";
import { addAccount, addDomain } from "../lib/directory";
import { startEngine } from "../mail-engine/engine";

const port = process.argv[2] ?? "10993";
const password = process.argv[3] ?? "imaptest-pass";
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "imap-test-server-"));
const config = loadConfig({
  DATA_DIR: dataDir,
  DATABASE_URL: `file:${path.join(dataDir, "mail.db")}`,
  MAIL_HOSTNAME: "imap.test.example",
  BIND_ADDRESS: "127.0.0.1",
  SMTP_PORT: "0",
  SUBMISSION_PORT: "0",
  SUBMISSIONS_PORT: "0",
  IMAP_PORT: port,
  IMAPS_PORT: "0",
  // POP3 off too: two of these servers (or another engine) on one machine would fight over 110/995.
  POP3_PORT: "0",
  POP3S_PORT: "0",
  LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
  AUTH_FAILURE_DELAY_MS: "1",
  // A stress run signs in 50 clients at once from one address; each attempt counts until it succeeds.
  AUTH_LOCKOUT_FAILURES: "100000",
});
await migrate(config);
const db = await createDb(config);
await addDomain(db, "example.test", "imap-test-server");
for (let i = 1; i <= 5; i++) await addAccount(db, { email: `testuser${i}@example.test`, password }, "imap-test-server");
await db.$disconnect();
const engine = await startEngine(config);
console.log(`IMAP on 127.0.0.1:${engine.imap.ports.imap}, users testuser1..5@example.test, data in ${dataDir}`);
const stop = async () => {
  await engine.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
