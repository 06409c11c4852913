/**
 * No mail is lost: what got 250 survives SIGKILL of the engine process; a failure before
 * the commit answers 451 4.3.0 and writes no row. SIGKILL leaves the kernel's page cache,
 * so this does not show that anything reached the disk: durability-order.test.ts checks
 * that the fsyncs happen before the 250.
 */
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import nodemailer from "nodemailer";
import { startTestEngine, type TestEngine } from "../helpers/engine";
import { testDatabase, type TestDatabase } from "../helpers/db";
import { freePort, waitForPort } from "../helpers/ports";
import { addAccount, addDomain } from "../../lib/directory";
import { RawSmtp } from "../helpers/raw-smtp";

let t: TestEngine;
before(async () => {
  t = await startTestEngine();
});
after(() => t.stop());

test("a failure while storing answers 451 4.3.0 and leaves no message row", async () => {
  await addAccount(t.db, { email: "broken@example.test", password: "long enough" }, "test");
  // Break the account's store: its Inbox is gone, so the transaction fails half-way.
  await t.db.mailbox.deleteMany({ where: { account: { email: "broken@example.test" }, name: "INBOX" } });
  const c = await RawSmtp.connect(t.mxPort);
  await c.command("EHLO x.remote.example");
  await c.command("MAIL FROM:<x@remote.example>");
  assert.equal((await c.command("RCPT TO:<alice@example.test>")).code, 250);
  assert.equal((await c.command("RCPT TO:<broken@example.test>")).code, 250);
  await c.command("DATA");
  c.write("Subject: half\r\nMessage-ID: <half@remote.example>\r\n\r\nx\r\n.\r\n");
  const r = await c.read();
  assert.equal(r.code, 451);
  assert.match(r.text, /^4\.3\.0 /);
  c.close();
  assert.equal(await t.db.message.count({ where: { subject: "half" } }), 0, "alice's copy was rolled back too");
  const alice = await t.db.account.findUniqueOrThrow({ where: { email: "alice@example.test" }, include: { mailboxes: { where: { name: "INBOX" } } } });
  assert.equal(alice.mailboxes[0].uidNext, 1 + (await t.db.message.count({ where: { mailboxId: alice.mailboxes[0].id } })), "no UID was consumed");
  assert.ok(t.logs.some((l) => l.event === "smtp.store_failed"));
});

test("a message that got 250 survives the engine process being killed with SIGKILL (committed, not held in the process)", async () => {
  const db: TestDatabase = await testDatabase();
  try {
    await addDomain(db.db, "crash.example", "test");
    await addAccount(db.db, { email: "user@crash.example", password: "long enough" }, "test");
    const port = await freePort();
    const env = { ...process.env, DATA_DIR: db.dataDir, DATABASE_URL: db.config.databaseUrl, BIND_ADDRESS: "127.0.0.1", MAIL_HOSTNAME: "mx.crash.example", SMTP_PORT: String(port), SUBMISSION_PORT: "0", SUBMISSIONS_PORT: "0", IMAP_PORT: "0", IMAPS_PORT: "0", POP3_PORT: "0", POP3S_PORT: "0", LOG_LEVEL: "warn" };
    const engine = spawn(process.execPath, ["--import", "tsx", "mail-engine/main.ts"], { env, stdio: "ignore" });
    const exited = new Promise((r) => engine.on("exit", r));
    try {
      await waitForPort(port);
      const tr = nodemailer.createTransport({ host: "127.0.0.1", port, secure: false, ignoreTLS: true, pool: true, maxConnections: 4 });
      const ids = await Promise.all(Array.from({ length: 40 }, (_, i) => tr.sendMail({ from: "a@remote.example", to: "user@crash.example", subject: `crash ${i}`, text: "x".repeat(2000) }).then((info) => info.response.split(" ").pop())));
      engine.kill("SIGKILL"); // right after the last 250, no chance to flush anything
      tr.close();
      await exited;
      const rows = await db.db.message.findMany({ where: { account: { email: "user@crash.example" } }, select: { queueId: true } });
      assert.deepEqual(new Set(rows.map((r) => r.queueId)), new Set(ids));
    } finally {
      if (engine.exitCode === null) engine.kill("SIGKILL");
    }
  } finally {
    await db.cleanup();
  }
});
