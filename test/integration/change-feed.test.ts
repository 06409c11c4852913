/**
 * The change journal and its notifications: a message delivered over SMTP is announced
 * to a subscriber in another process within one second (on SQLite by polling
 * data_version, on PostgreSQL by LISTEN/NOTIFY), and changesSince() replays what
 * happened in a mailbox after a MODSEQ.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import readline from "node:readline";
import nodemailer from "nodemailer";
import { startTestEngine, type TestEngine } from "../helpers/engine";
import { changesSince } from "../../lib/store/journal";
import { SqliteTx, PgTx } from "../../lib/store/tx";
import { openSqlite } from "../../lib/store/runner";
import { sqlitePath } from "../../lib/config";
import pg from "pg";

let t: TestEngine;
before(async () => {
  t = await startTestEngine();
});
after(() => t.stop());

function subscriber(accountId: string): { child: ChildProcess; lines: AsyncIterableIterator<string> } {
  const child = spawn(process.execPath, ["--import", "tsx", "test/helpers/feed-subscriber.ts", accountId], {
    env: { ...process.env, DATABASE_URL: t.config.databaseUrl, DATA_DIR: t.config.dataDir },
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = readline.createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  return { child, lines };
}

async function nextLine(lines: AsyncIterableIterator<string>, ms: number): Promise<string> {
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no line within ${ms} ms`)), ms));
  const r = await Promise.race([lines.next(), timeout]);
  if (r.done) throw new Error("the subscriber exited");
  return r.value;
}

test("a message delivered over SMTP is announced to another process within one second", async () => {
  const alice = await t.db.account.findUniqueOrThrow({ where: { email: "alice@example.test" } });
  const bob = await t.db.account.findUniqueOrThrow({ where: { email: "bob@example.test" } });
  const { child, lines } = subscriber(alice.id);
  try {
    assert.equal(await nextLine(lines, 20_000), "ready");
    const smtp = nodemailer.createTransport({ host: "127.0.0.1", port: t.mxPort, secure: false, ignoreTLS: true });
    // Bob's mail is not alice's business: it must not reach her subscription.
    await smtp.sendMail({ from: "x@remote.example", to: "bob@example.test", subject: "for bob", text: "b" });
    for (let i = 0; i < 3; i++) {
      const sent = Date.now();
      const info = await smtp.sendMail({ from: "x@remote.example", to: "alice@example.test", subject: `ping ${i}`, text: "x" });
      const acceptedAt = Date.now();
      const change = JSON.parse(await nextLine(lines, 3000)) as { accountId: string; kind: string; uids: string; at: number; mailboxId: string };
      assert.equal(change.accountId, alice.id);
      assert.notEqual(change.accountId, bob.id);
      assert.equal(change.kind, "append");
      const row = await t.db.message.findFirstOrThrow({ where: { queueId: info.response.split(" ").pop()! } });
      assert.equal(change.uids, String(row.uid));
      assert.equal(change.mailboxId, row.mailboxId);
      assert.ok(change.at - acceptedAt < 1000, `announced ${change.at - acceptedAt} ms after the 250 (sent at ${sent})`);
    }
  } finally {
    child.stdin!.end();
    child.kill();
  }
});

test("changesSince replays appends, flag changes and expunges after a MODSEQ", async () => {
  const alice = await t.db.account.findUniqueOrThrow({ where: { email: "alice@example.test" } });
  const inbox = await t.db.mailbox.findUniqueOrThrow({ where: { accountId_name: { accountId: alice.id, name: "INBOX" } } });
  const since = inbox.highestModSeq;
  const a = await t.engine.ctx.store.append({ accountId: alice.id, mailbox: "INBOX", raw: Buffer.from("Subject: one\r\n\r\n1\r\n") });
  const b = await t.engine.ctx.store.append({ accountId: alice.id, mailbox: "INBOX", raw: Buffer.from("Subject: two\r\n\r\n2\r\n"), flags: ["seen"] });
  await t.engine.ctx.store.setFlags({ accountId: alice.id, mailboxId: inbox.id, uids: [a.uid, b.uid], mode: "add", flags: ["deleted"] });
  await t.engine.ctx.store.expunge({ accountId: alice.id, mailboxId: inbox.id, onlyDeleted: true });

  let changes;
  if (t.config.provider === "sqlite") {
    const conn = openSqlite(sqlitePath(t.config.databaseUrl));
    changes = await changesSince(new SqliteTx(conn), inbox.id, since);
    conn.close();
  } else {
    const c = new pg.Client({ connectionString: t.config.databaseUrl });
    await c.connect();
    changes = await changesSince(new PgTx(c), inbox.id, since);
    await c.end();
  }
  assert.deepEqual(
    changes.map((c) => [c.kind, c.uids]),
    [
      ["append", String(a.uid)],
      ["append", String(b.uid)],
      ["flags", `${a.uid}:${b.uid}`],
      ["expunge", `${a.uid}:${b.uid}`],
    ],
  );
  const modSeqs = changes.map((c) => BigInt(c.modSeq));
  assert.deepEqual(modSeqs, [...modSeqs].sort((x, y) => (x < y ? -1 : 1)), "MODSEQ grows");
  assert.equal(modSeqs[0], since + 1n);
  const expunged = await t.db.expungedMessage.findMany({ where: { mailboxId: inbox.id }, orderBy: { uid: "asc" } });
  assert.deepEqual(expunged.map((e) => [e.uid, e.modSeq]), [[a.uid, modSeqs[3]], [b.uid, modSeqs[3]]]);
});
