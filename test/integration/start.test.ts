/** `npm start` on an empty DATA_DIR: migrations, TLS material, admin hint, engine up, clean stop. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort, waitForPort } from "../helpers/ports";
import { wantsPostgres } from "../helpers/db";
import { RawSmtp } from "../helpers/raw-smtp";

test("start.ts prepares an empty data directory, runs the engine and stops cleanly on SIGTERM", { skip: wantsPostgres() && "SQLite default only" }, async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "mailsuite-start-"));
  const [smtp, sub, subs] = [await freePort(), await freePort(), await freePort()];
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/start.ts"], {
    env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: "", BIND_ADDRESS: "127.0.0.1", MAIL_HOSTNAME: "mx.start.example", SMTP_PORT: String(smtp), SUBMISSION_PORT: String(sub), SUBMISSIONS_PORT: String(subs), IMAP_PORT: "0", IMAPS_PORT: "0", WEB_PORT: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  try {
    await waitForPort(smtp, 30_000);
    await waitForPort(subs, 10_000);
    const c = await RawSmtp.connect(smtp);
    const ehlo = await c.command("EHLO probe");
    assert.match(ehlo.lines[0], /^250-mx\.start\.example/);
    c.close();
    assert.ok(fs.existsSync(path.join(dataDir, "mail.db")), "the SQLite database was created");
    assert.ok(fs.existsSync(path.join(dataDir, "tls", "cert.pem")) && fs.existsSync(path.join(dataDir, "tls", "key.pem")), "a self-signed pair was generated");
    assert.match(output, /mailctl user add you@example\.com --password '\.\.\.' --admin/);
  } finally {
    child.kill("SIGTERM");
  }
  const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r("timeout"), 20_000))]);
  assert.equal(code, 0, `start exits 0 after SIGTERM (output: ${output.slice(-2000)})`);
  assert.match(output, /"event":"engine.stopped"/);
  fs.rmSync(dataDir, { recursive: true, force: true });
});
