/**
 * A fresh, migrated database for one test file: a SQLite file in a temporary DATA_DIR,
 * or (TEST_DB=postgresql) a new database next to the one TEST_DATABASE_URL names,
 * dropped again by cleanup().
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import crypto from "node:crypto";
import pg from "pg";
import { loadConfig, type Config } from "../../lib/config";
import { migrate } from "../../lib/db/migrate";
import { createDb, type Db } from "../../lib/db/client";

export interface TestDatabase {
  config: Config;
  db: Db;
  dataDir: string;
  cleanup(): Promise<void>;
}

export function wantsPostgres(): boolean {
  return process.env.TEST_DB === "postgresql";
}

export async function testDatabase(env: Record<string, string> = {}): Promise<TestDatabase> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "mailsuite-test-"));
  let databaseUrl = `file:${path.join(dataDir, "mail.db")}`;
  let dropPg: (() => Promise<void>) | null = null;
  if (wantsPostgres()) {
    const base = process.env.TEST_DATABASE_URL;
    if (!base) throw new Error("TEST_DB=postgresql needs TEST_DATABASE_URL=postgresql://user@host:port/db");
    const url = new URL(base);
    const name = `${url.pathname.slice(1) || "mailsuite"}_${crypto.randomBytes(4).toString("hex")}`;
    const admin = new URL(base);
    admin.pathname = "/postgres";
    const client = new pg.Client({ connectionString: admin.toString() });
    await client.connect();
    await client.query(`CREATE DATABASE "${name}"`);
    await client.end();
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
    dropPg = async () => {
      const c = new pg.Client({ connectionString: admin.toString() });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    };
  }
  const config = loadConfig({
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    MAIL_HOSTNAME: "mx.test.example",
    BIND_ADDRESS: "127.0.0.1",
    AUTH_FAILURE_DELAY_MS: "1",
    ...env,
  });
  await migrate(config);
  const db = await createDb(config);
  return {
    config,
    db,
    dataDir,
    async cleanup() {
      await db.$disconnect();
      if (dropPg) await dropPg();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
