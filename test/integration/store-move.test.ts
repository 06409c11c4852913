/**
 * A move of many messages (the web's bulk move of a thousand, IMAP MOVE of a large set)
 * is set-based: the store's op issues no more statements for 600 messages than for 2, and
 * everything it keeps follows: the two folders' counters agree with their rows, the
 * account's used bytes and the blobs' reference counts do not change, keywords move with
 * their messages, the source records the UIDs it lost (VANISHED) and the journal both
 * sides. Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import pg from "pg";
import { testDatabase, type TestDatabase } from "../helpers/db";
import { addAccount, addDomain } from "../../lib/directory";
import { openStore, type MailStore } from "../../lib/store";
import { ops } from "../../lib/store/ops";
import { openSqlite } from "../../lib/store/runner";
import { PgTx, SqliteTx, type StoreTx } from "../../lib/store/tx";
import { sqlitePath } from "../../lib/config";

let t: TestDatabase;
let store: MailStore;
let alice: string;

const msg = (i: number) =>
  Buffer.from(`From: "Sender ${i}" <s${i}@remote.example>\r\nTo: alice@example.test\r\nSubject: bulk ${i}\r\nMessage-ID: <bulk${i}@remote.example>\r\n\r\n${"body ".repeat(1 + (i % 7))}\r\n`);

before(async () => {
  t = await testDatabase();
  store = openStore(t.config, t.db);
  await addDomain(t.db, "example.test", "test");
  alice = (await addAccount(t.db, { email: "alice@example.test", password: "correct horse" }, "test")).id;
});
after(async () => {
  await store.close();
  await t.cleanup();
});

/** Runs the store's copy op in a transaction of its own over a StoreTx that counts its statements. */
async function countedMove(args: { fromMailboxId: string; messageIds: string[]; to: { id: string } }) {
  let statements = 0;
  const counting = (tx: StoreTx): StoreTx => ({
    dialect: tx.dialect,
    all: (sql, p) => (statements++, tx.all(sql, p)),
    get: (sql, p) => (statements++, tx.get(sql, p)),
    run: (sql, p) => (statements++, tx.run(sql, p)),
    arrays: (sql, p) => (statements++, tx.arrays(sql, p)),
  });
  if (t.config.provider === "sqlite") {
    const conn = openSqlite(sqlitePath(t.config.databaseUrl));
    try {
      conn.exec("BEGIN IMMEDIATE");
      const r = await ops.copy(counting(new SqliteTx(conn)), { accountId: alice, ...args, move: true });
      conn.exec("COMMIT");
      return { r, statements };
    } finally {
      conn.close();
    }
  }
  const client = new pg.Client({ connectionString: t.config.databaseUrl });
  await client.connect();
  try {
    await client.query("BEGIN");
    const r = await ops.copy(counting(new PgTx(client)), { accountId: alice, ...args, move: true });
    await client.query("COMMIT");
    return { r, statements };
  } finally {
    await client.end();
  }
}

async function folder(name: string) {
  return t.db.mailbox.findUniqueOrThrow({ where: { accountId_name: { accountId: alice, name } } });
}

/** A folder's counters as stored, and as its rows say they should be. */
async function counters(name: string) {
  const f = await folder(name);
  const rows = await t.db.message.findMany({ where: { mailboxId: f.id }, select: { seen: true, size: true } });
  return {
    stored: [f.messageCount, f.unseenCount, Number(f.totalBytes)],
    actual: [rows.length, rows.filter((r) => !r.seen).length, rows.reduce((n, r) => n + r.size, 0)],
  };
}

test("a move of 600 messages takes no more statements than a move of 2; counters, bytes, blobs, keywords, VANISHED and the journal follow", async () => {
  const n = 602;
  const appended = await store.appendAll(
    Array.from({ length: n }, (_, i) => ({ accountId: alice, mailbox: "INBOX", raw: msg(i), flags: i % 3 === 0 ? (["seen"] as const).slice() : [], keywords: i % 5 === 0 ? ["Work"] : [] })),
  );
  const inbox = await folder("INBOX");
  const archive = await folder("Archive");
  const ids = (await t.db.message.findMany({ where: { mailboxId: inbox.id }, orderBy: { uid: "asc" }, select: { id: true, uid: true, blobHash: true } }));
  assert.equal(ids.length, n);
  const refCounts = async () => (await t.db.blob.findMany({ select: { hash: true, refCount: true }, orderBy: { hash: "asc" } })).map((b) => `${b.hash}:${b.refCount}`);
  const blobsBefore = await refCounts();
  const usedBefore = (await t.db.account.findUniqueOrThrow({ where: { id: alice } })).usedBytes;

  // Two first (one with a keyword), then the other 600 (a hundred and twenty with it).
  const small = await countedMove({ fromMailboxId: inbox.id, messageIds: [ids[0].id, ids[1].id], to: { id: archive.id } });
  const large = await countedMove({ fromMailboxId: inbox.id, messageIds: ids.slice(2).map((m) => m.id), to: { id: archive.id } });
  // (The first also teaches Archive the keyword: one statement more.)
  assert.ok(large.statements <= small.statements, `statements for 600: ${large.statements}, for 2: ${small.statements}`);

  assert.equal(large.r.mapping.length, n - 2);
  assert.deepEqual(large.r.mapping.map((m) => m[0]), ids.slice(2).map((m) => m.uid), "source UIDs in order");
  assert.deepEqual(large.r.mapping.map((m) => m[1]), Array.from({ length: n - 2 }, (_, i) => 3 + i), "the destination's next UIDs");
  assert.deepEqual(large.r.messageIds, ids.slice(2).map((m) => m.id), "the messages keep their ids");
  assert.deepEqual(large.r.expunged, ids.slice(2).map((m) => m.uid));

  for (const name of ["INBOX", "Archive"]) {
    const c = await counters(name);
    assert.deepEqual(c.stored, c.actual, `${name}'s counters`);
  }
  assert.equal((await folder("INBOX")).messageCount, 0);
  assert.equal((await folder("Archive")).messageCount, n);
  assert.equal((await t.db.account.findUniqueOrThrow({ where: { id: alice } })).usedBytes, usedBefore, "a move uses no more space");
  assert.deepEqual(await refCounts(), blobsBefore, "blobs are still referenced once each");
  const kw = await t.db.messageKeyword.findMany({ where: { keyword: "Work" }, select: { mailboxId: true, messageId: true } });
  assert.equal(kw.length, Math.ceil(n / 5));
  assert.ok(kw.every((k) => k.mailboxId === archive.id), "keyword entries follow their messages");
  assert.equal((await folder("Archive")).keywords, "Work");

  const expunged = await t.db.expungedMessage.findMany({ where: { mailboxId: inbox.id }, select: { uid: true, modSeq: true } });
  assert.deepEqual(expunged.map((e) => e.uid).sort((a, b) => a - b), ids.map((m) => m.uid));
  assert.equal(String(expunged.find((e) => e.uid === ids[5].uid)!.modSeq), String((await folder("INBOX")).highestModSeq));
  const journal = await t.db.mailboxChange.findMany({ where: { accountId: alice, kind: { in: ["append", "expunge"] } }, orderBy: { id: "asc" }, select: { mailboxId: true, kind: true } });
  assert.deepEqual(journal.slice(-2), [{ mailboxId: archive.id, kind: "append" }, { mailboxId: inbox.id, kind: "expunge" }]);
  assert.equal(appended.length, n);

  // And back again through the store's public path, as the web's undo does.
  const back = await store.move({ accountId: alice, fromMailboxId: archive.id, messageIds: large.r.messageIds.slice(0, 10), to: { id: inbox.id } });
  assert.deepEqual(back.messageIds, large.r.messageIds.slice(0, 10));
  for (const name of ["INBOX", "Archive"]) {
    const c = await counters(name);
    assert.deepEqual(c.stored, c.actual, `${name}'s counters after the move back`);
  }
});
