/**
 * The web app's read side of the store (lib/store/read.ts) and its session rows: what
 * one account can see of the store, in which order, with which unread counts, and
 * what marking a message read changes.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { testDatabase, type TestDatabase } from "../helpers/db";
import { addAccount, addDomain } from "../../lib/directory";
import { openStore, type MailStore } from "../../lib/store";
import { newQueueId } from "../../lib/domain/ids";
import { adjacentMessages, findFolder, getMessage, listFolders, listMessages, PAGE_SIZE } from "../../lib/store/read";
import { createWebSession, endWebSession, findSessionAccount } from "../../lib/web/web-sessions";
import { webSecret } from "../../lib/web/secret";

let t: TestDatabase;
let store: MailStore;
const markSeen = (_db: unknown, account: string, id: string) => store.setSeen(account, id, true);
const setSeen = (_db: unknown, account: string, id: string, seen: boolean) => store.setSeen(account, id, seen);
let alice: string;
let bob: string;

const T0 = Date.UTC(2025, 0, 1);

function raw(subject: string, body = "hello"): Buffer {
  return Buffer.from(`From: "Sender" <sender@remote.example>\r\nTo: alice@example.test\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, "")}.${Math.random()}@remote.example>\r\n\r\n${body}\r\n`);
}

async function put(accountId: string, subject: string, opts: { minute: number; mailbox?: string; seen?: boolean }) {
  const [d] = await store.deliver({
    raw: raw(subject),
    queueId: newQueueId(),
    targets: [{ accountId, mailbox: opts.mailbox, flags: opts.seen ? { seen: true } : undefined }],
    internalDate: new Date(T0 + opts.minute * 60_000),
  });
  return d!.messageId;
}

before(async () => {
  t = await testDatabase();
  store = openStore(t.config, t.db);
  await addDomain(t.db, "example.test", "test");
  alice = (await addAccount(t.db, { email: "alice@example.test", password: "correct horse" }, "test")).id;
  bob = (await addAccount(t.db, { email: "bob@example.test", password: "correct horse" }, "test")).id;
});
after(async () => {
  await store.close();
  await t.cleanup();
});

test("an account sees only its own messages, whatever id it asks for", async () => {
  const aliceMsg = await put(alice, "for alice only", { minute: 1 });
  const bobMsg = await put(bob, "for bob only", { minute: 2 });

  assert.equal((await getMessage(t.db, alice, aliceMsg))?.subject, "for alice only");
  assert.equal(await getMessage(t.db, bob, aliceMsg), null, "bob cannot open alice's message by id");
  assert.equal(await getMessage(t.db, alice, bobMsg), null);
  assert.equal(await getMessage(t.db, alice, "no-such-id"), null);
  assert.equal(await getMessage(t.db, alice, ""), null);

  const bobInbox = await listMessages(t.db, bob, "INBOX");
  assert.deepEqual(bobInbox?.messages.map((m) => m.subject), ["for bob only"]);
  assert.ok(!(await listMessages(t.db, alice, "INBOX"))?.messages.some((m) => m.id === bobMsg));

  // Neither reading nor writing reaches across accounts.
  assert.equal(await markSeen(t.db, bob, aliceMsg), false);
  assert.equal(await setSeen(t.db, bob, aliceMsg, false), false);
  assert.equal((await getMessage(t.db, alice, aliceMsg))?.seen, false, "alice's message is untouched");
  assert.equal(await listMessages(t.db, bob, "No Such Folder"), null);
});

test("folders come special-use first, with unread and total counts", async () => {
  await put(alice, "archived unread", { minute: 3, mailbox: "Archive" });
  await put(alice, "archived read", { minute: 4, mailbox: "Archive", seen: true });
  await store.createMailbox({ accountId: alice, name: "Projects" });
  const folders = await listFolders(t.db, alice);
  assert.deepEqual(
    folders.map((f) => f.name),
    ["INBOX", "Drafts", "Sent", "Archive", "Junk", "Trash", "Projects"],
  );
  const archive = folders.find((f) => f.name === "Archive")!;
  assert.equal(archive.unread, 1);
  assert.equal(archive.total, 2);
  assert.equal(folders.find((f) => f.name === "Sent")!.unread, 0);
  assert.equal((await findFolder(t.db, alice, "inbox"))?.name, "INBOX", "INBOX is case-insensitive");
  assert.equal(await findFolder(t.db, alice, "archive"), null, "other names are case-sensitive");
  assert.ok((await listFolders(t.db, bob)).every((f) => f.name !== "Projects"));
});

test("a folder pages newest first, 50 a page, with clamped page numbers", async () => {
  const folder = "Paging";
  await store.createMailbox({ accountId: alice, name: folder });
  const count = PAGE_SIZE + 7;
  // Delivered in shuffled time order: the list follows the internal date, not the UID.
  const minutes = Array.from({ length: count }, (_, i) => (i * 37) % count);
  for (const m of minutes) await put(alice, `msg ${String(m).padStart(3, "0")}`, { minute: 100 + m, mailbox: folder });

  const p1 = await listMessages(t.db, alice, folder);
  assert.ok(p1);
  assert.equal(p1.total, count);
  assert.equal(p1.pageCount, 2);
  assert.equal(p1.page, 1);
  assert.equal(p1.messages.length, PAGE_SIZE);
  assert.equal(p1.messages[0]!.subject, `msg ${String(count - 1).padStart(3, "0")}`, "newest first");
  for (let i = 1; i < p1.messages.length; i++) {
    assert.ok(p1.messages[i - 1]!.internalDate >= p1.messages[i]!.internalDate, "descending internal date");
  }
  const p2 = await listMessages(t.db, alice, folder, { page: "2" });
  assert.equal(p2?.messages.length, 7);
  assert.equal(p2?.messages.at(-1)?.subject, "msg 000", "oldest last");
  assert.equal(new Set([...p1.messages, ...p2!.messages].map((m) => m.id)).size, count, "no message on two pages");

  assert.equal((await listMessages(t.db, alice, folder, { page: "99" }))?.page, 2, "past the end: the last page");
  assert.equal((await listMessages(t.db, alice, folder, { page: "0" }))?.page, 1);
  assert.equal((await listMessages(t.db, alice, folder, { page: "x" }))?.page, 1);
  const empty = await listMessages(t.db, alice, "Junk", { page: "3" });
  assert.equal(empty?.page, 1);
  assert.equal(empty?.pageCount, 1);
  assert.deepEqual(empty?.messages, []);
});

test("cursor paging (keyset): older and newer pages, same minute ties by UID, bad cursors ignored", async () => {
  const folder = "Keyset";
  await store.createMailbox({ accountId: alice, name: folder });
  // Pairs in the same minute: the UID breaks the tie.
  for (let i = 0; i < 12; i++) await put(alice, `k ${String(i).padStart(2, "0")}`, { minute: 1000 + Math.floor(i / 2), mailbox: folder });
  const seen: string[] = [];
  let p = await listMessages(t.db, alice, folder, { pageSize: 5 });
  assert.equal(p?.prev, null);
  for (let n = 1; p; n++) {
    assert.equal(p.page, n);
    seen.push(...p.messages.map((m) => m.subject));
    if (!p.next) break;
    p = await listMessages(t.db, alice, folder, { pageSize: 5, cursor: p.next, page: n + 1 });
  }
  assert.deepEqual(seen, Array.from({ length: 12 }, (_, i) => `k ${String(11 - i).padStart(2, "0")}`), "every message once, newest first");
  const third = p!;
  assert.equal(third.page, 3);
  assert.equal(third.messages.length, 2);
  const back = await listMessages(t.db, alice, folder, { pageSize: 5, cursor: third.prev, page: 2 });
  assert.deepEqual(back?.messages.map((m) => m.subject), ["k 06", "k 05", "k 04", "k 03", "k 02"]);
  const top = await listMessages(t.db, alice, folder, { pageSize: 5, cursor: back?.prev, page: 1 });
  assert.deepEqual(top?.messages.map((m) => m.subject), ["k 11", "k 10", "k 09", "k 08", "k 07"]);
  // Oldest first: the same walk the other way.
  const asc: string[] = [];
  for (let q = await listMessages(t.db, alice, folder, { pageSize: 5, sort: "oldest" }), n = 1; q; n++) {
    asc.push(...q.messages.map((m) => m.subject));
    if (!q.next) break;
    q = await listMessages(t.db, alice, folder, { pageSize: 5, sort: "oldest", cursor: q.next, page: n + 1 });
  }
  assert.deepEqual(asc, [...seen].reverse());
  for (const bad of ["x", "o", "o1.", "o99999999999999999.1", "n1.99999999999", 7]) {
    assert.equal((await listMessages(t.db, alice, folder, { pageSize: 5, cursor: bad }))?.messages[0]?.subject, "k 11", String(bad));
  }
});

test("the messages either side of one (j / k on an open message): by date, same-minute ties by UID, none past the ends, none of another folder or account", async () => {
  const box = await store.createMailbox({ accountId: alice, name: "Adjacent" });
  const a = await put(alice, "adj a", { minute: 500, mailbox: "Adjacent" });
  const b = await put(alice, "adj b", { minute: 501, mailbox: "Adjacent" });
  const c = await put(alice, "adj c", { minute: 501, mailbox: "Adjacent" }); // same minute as b, a higher UID: newer
  const d = await put(alice, "adj d", { minute: 502, mailbox: "Adjacent" });
  await put(alice, "elsewhere", { minute: 501 });
  const at = async (id: string) => {
    const m = (await getMessage(t.db, alice, id))!;
    return adjacentMessages(t.db, alice, box.id, m);
  };
  assert.deepEqual(await at(a), { older: null, newer: b });
  assert.deepEqual(await at(b), { older: a, newer: c });
  assert.deepEqual(await at(c), { older: b, newer: d });
  assert.deepEqual(await at(d), { older: c, newer: null });
  const m = (await getMessage(t.db, alice, b))!;
  assert.deepEqual(await adjacentMessages(t.db, bob, box.id, m), { older: null, newer: null }, "another account sees nothing of the folder");
});

test("markSeen clears the unread count and gives the message a new MODSEQ, once", async () => {
  const id = await put(alice, "to be read", { minute: 500 });
  const before = await findFolder(t.db, alice, "INBOX");
  const msgBefore = await getMessage(t.db, alice, id);
  assert.equal(msgBefore?.seen, false);

  assert.equal(await markSeen(t.db, alice, id), true);
  const afterRead = await findFolder(t.db, alice, "INBOX");
  const msg = await getMessage(t.db, alice, id);
  assert.equal(msg?.seen, true);
  assert.equal(afterRead!.unread, before!.unread - 1);
  assert.equal(afterRead!.highestModSeq, before!.highestModSeq + BigInt(1), "HIGHESTMODSEQ bumped");
  assert.equal(msg!.modSeq, afterRead!.highestModSeq, "the message carries the new MODSEQ");

  assert.equal(await markSeen(t.db, alice, id), false, "already read: nothing changes");
  assert.equal((await findFolder(t.db, alice, "INBOX"))!.highestModSeq, afterRead!.highestModSeq);

  assert.equal(await setSeen(t.db, alice, id, false), true, "mark as unread");
  const again = await findFolder(t.db, alice, "INBOX");
  assert.equal(again!.unread, before!.unread);
  assert.equal(again!.highestModSeq, afterRead!.highestModSeq + BigInt(1));
});

test("concurrent marks of the same message change it once", async () => {
  const id = await put(alice, "raced", { minute: 600 });
  const before = (await findFolder(t.db, alice, "INBOX"))!.highestModSeq;
  // Two stores: two connections (two processes' worth), racing on one message.
  const other = openStore(t.config, t.db);
  try {
    const results = await Promise.all([markSeen(t.db, alice, id), other.setSeen(alice, id, true), markSeen(t.db, alice, id), other.setSeen(alice, id, true)]);
    assert.equal((await getMessage(t.db, alice, id))?.seen, true);
    assert.equal(results.filter(Boolean).length, 1, "exactly one of the four calls changed the flag");
    assert.equal((await findFolder(t.db, alice, "INBOX"))!.highestModSeq, before + BigInt(1), "one MODSEQ bump in all");
  } finally {
    await other.close();
  }
});

test("a web session ends with sign-out, expiry, a disabled or a deleted account", async () => {
  await addAccount(t.db, { email: "carol@example.test", password: "correct horse" }, "test");
  const carol = (await t.db.account.findUniqueOrThrow({ where: { email: "carol@example.test" } })).id;
  const s = await createWebSession(t.db, { accountId: carol, ip: "127.0.0.1", userAgent: "test", maxAgeSeconds: 3600 });
  assert.equal((await findSessionAccount(t.db, s.id, carol))?.email, "carol@example.test");
  assert.equal(await findSessionAccount(t.db, s.id, alice), null, "a session names one account");

  await t.db.account.update({ where: { id: carol }, data: { disabled: true } });
  assert.equal(await findSessionAccount(t.db, s.id, carol), null, "disabled");
  await t.db.account.update({ where: { id: carol }, data: { disabled: false } });
  assert.equal(await findSessionAccount(t.db, s.id, carol), null, "enabling again does not revive the session");

  const s2 = await createWebSession(t.db, { accountId: carol, ip: "127.0.0.1", userAgent: "test", maxAgeSeconds: 3600 });
  assert.ok(await findSessionAccount(t.db, s2.id, carol));
  await endWebSession(t.db, s2.id);
  assert.equal(await findSessionAccount(t.db, s2.id, carol), null, "signed out");

  const expired = await createWebSession(t.db, { accountId: carol, ip: "127.0.0.1", userAgent: "test", maxAgeSeconds: 3600 });
  await t.db.webSession.update({ where: { id: expired.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
  assert.equal(await findSessionAccount(t.db, expired.id, carol), null, "expired");

  const live = await createWebSession(t.db, { accountId: carol, ip: "127.0.0.1", userAgent: "test", maxAgeSeconds: 3600 });
  assert.equal(await t.db.webSession.count({ where: { id: expired.id } }), 0, "a new sign-in clears the account's expired rows");
  await t.db.account.delete({ where: { id: carol } });
  assert.equal(await findSessionAccount(t.db, live.id, carol), null, "deleted");
});

test("the web secret is made once, kept private in DATA_DIR and stable", () => {
  const dir = path.join(t.dataDir, "secret-test");
  const first = webSecret({ dataDir: dir }, {});
  const file = path.join(dir, "web-secret");
  assert.ok(first.length >= 32);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.equal(fs.readFileSync(file, "utf8").trim(), first);
  assert.equal(webSecret({ dataDir: dir }, {}), first);
  assert.equal(webSecret({ dataDir: dir }, { NEXTAUTH_SECRET: "from-the-environment" }), "from-the-environment");
});
