/**
 * The webmail's search across folders (lib/web/search.ts: the query language over the
 * store's search) and its bulk actions with undo (lib/web/organise.ts), on a real store.
 * Runs on SQLite and, with TEST_DB=postgresql, on PostgreSQL.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { testDatabase, type TestDatabase } from "../helpers/db";
import { addAccount, addDomain } from "../../lib/directory";
import { openStore, type MailStore } from "../../lib/store";
import { closeReadConnection } from "../../lib/store/read-connection";
import { searchMail, matchingIds } from "../../lib/web/search";
import { applyBulk, applyUndo, OrganiseError } from "../../lib/web/organise";
import { getMessage, listConversations, listThread } from "../../lib/store/read";

let t: TestDatabase;
let store: MailStore;
let alice: string;
let bob: string;
const box: Record<string, string> = {};

const crlf = (s: string) => s.replace(/\r?\n/g, "\r\n");

function message(n: { from: string; to: string; subject: string; body: string; date: string; attachment?: string }): Buffer {
  const head = `From: ${n.from}\nTo: ${n.to}\nSubject: ${n.subject}\nDate: ${n.date}\nMessage-ID: <${Math.random().toString(36).slice(2)}@test>\nMIME-Version: 1.0\n`;
  if (!n.attachment) return Buffer.from(crlf(`${head}Content-Type: text/plain; charset=utf-8\n\n${n.body}\n`));
  return Buffer.from(
    crlf(`${head}Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/plain; charset=utf-8

${n.body}
--b
Content-Type: application/pdf
Content-Disposition: attachment; filename="${n.attachment}"
Content-Transfer-Encoding: base64

${Buffer.from("%PDF-1.4 test").toString("base64")}
--b--
`),
  );
}

async function put(accountId: string, mailbox: string, n: Parameters<typeof message>[0], flags: Array<"seen" | "flagged"> = []) {
  return store.append({ accountId, mailbox, raw: message(n), flags, internalDate: new Date(n.date) });
}

before(async () => {
  t = await testDatabase();
  store = openStore(t.config, t.db);
  await addDomain(t.db, "example.test", "test");
  alice = (await addAccount(t.db, { email: "alice@example.test", password: "correct horse" }, "test")).id;
  bob = (await addAccount(t.db, { email: "bob@example.test", password: "correct horse" }, "test")).id;
  for (const b of await t.db.mailbox.findMany({ where: { accountId: alice } })) box[b.name] = b.id;
  await store.createMailbox({ accountId: alice, name: "Projects/Zebra" });
  box["Projects/Zebra"] = (await t.db.mailbox.findFirstOrThrow({ where: { accountId: alice, name: "Projects/Zebra" } })).id;

  await put(alice, "INBOX", { from: "Carol <carol@remote.example>", to: "alice@example.test", subject: "Budget for March", body: "The quarterly budget is attached.", date: "2026-03-01T10:00:00Z", attachment: "budget-2026.pdf" });
  await put(alice, "INBOX", { from: "Dave <dave@remote.example>", to: "alice@example.test", subject: "Lunch?", body: "Pizza or sushi today", date: "2026-03-10T12:00:00Z" }, ["seen", "flagged"]);
  await put(alice, "Sent", { from: "alice@example.test", to: "Carol <carol@remote.example>", subject: "Re: Budget for March", body: "Thanks, the budget looks fine.", date: "2026-03-02T09:00:00Z" }, ["seen"]);
  await put(alice, "Trash", { from: "Spammy <x@spam.example>", to: "alice@example.test", subject: "Old budget offer", body: "budget deals", date: "2026-01-05T09:00:00Z" });
  await put(alice, "Projects/Zebra", { from: "Erin <erin@remote.example>", to: "alice@example.test", subject: "Zebra kickoff", body: "Kickoff notes with budget estimate", date: "2026-02-20T09:00:00Z" });
  await put(bob, "INBOX", { from: "Carol <carol@remote.example>", to: "bob@example.test", subject: "Budget for Bob", body: "budget", date: "2026-03-03T09:00:00Z" });
});

after(async () => {
  await closeReadConnection(store);
  await store.close();
  await t.cleanup();
});

const NOW = new Date("2026-03-15T12:00:00Z");
const subjects = async (q: string) => (await searchMail(store, alice, q, { now: NOW })).hits.map((h) => h.subject);

test("free words across folders, newest first, Trash and Junk only with in:anywhere, never another account's", async () => {
  assert.deepEqual(await subjects("budget"), ["Re: Budget for March", "Budget for March", "Zebra kickoff"]);
  assert.deepEqual(await subjects("budget in:anywhere"), ["Re: Budget for March", "Budget for March", "Zebra kickoff", "Old budget offer"]);
  assert.deepEqual(await subjects("budget in:trash"), ["Old budget offer"], "in: finds the folder whatever its case");
  assert.deepEqual(await subjects('in:"Projects/Zebra"'), ["Zebra kickoff"]);
  const r = await searchMail(store, alice, "in:Nowhere budget", { now: NOW });
  assert.equal(r.missingFolder, "Nowhere");
  assert.equal(r.total, 0);
  const hit = (await searchMail(store, alice, "lunch", { now: NOW })).hits[0];
  assert.equal(hit.mailboxName, "INBOX");
  assert.equal(hit.flagged, true);
});

test("operators: from:, to:, subject:, has:attachment, filename:, is:, dates, sizes, -word, OR", async () => {
  assert.deepEqual(await subjects("from:carol"), ["Budget for March"]);
  assert.deepEqual(await subjects("to:carol"), ["Re: Budget for March"]);
  assert.deepEqual(await subjects('subject:"for march"'), ["Re: Budget for March", "Budget for March"]);
  assert.deepEqual(await subjects("has:attachment"), ["Budget for March"]);
  assert.deepEqual(await subjects("filename:BUDGET-2026"), ["Budget for March"]);
  assert.deepEqual(await subjects("filename:invoice"), []);
  assert.deepEqual(await subjects("is:starred"), ["Lunch?"]);
  assert.deepEqual(await subjects("is:unread -in:x in:INBOX"), ["Budget for March"]);
  assert.deepEqual(await subjects("after:2026/03/02 before:2026/03/10"), ["Re: Budget for March"]);
  assert.deepEqual(await subjects("newer_than:7d"), ["Lunch?"]);
  assert.deepEqual(await subjects("older_than:3w"), ["Zebra kickoff"]);
  assert.deepEqual(await subjects("larger:100k"), []);
  assert.deepEqual(await subjects("smaller:100k from:dave"), ["Lunch?"]);
  assert.deepEqual(await subjects("budget -kickoff"), ["Re: Budget for March", "Budget for March"]);
  assert.deepEqual(await subjects("pizza OR kickoff"), ["Lunch?", "Zebra kickoff"]);
  assert.deepEqual(await subjects('"budget looks"'), ["Re: Budget for March"]);
});

test("bulk flags with undo: only the changed messages are reverted", async () => {
  const ids = (await searchMail(store, alice, "in:INBOX", { now: NOW })).hits.map((h) => h.id);
  assert.equal(ids.length, 2);
  const r = await applyBulk(store, alice, { ids }, "read");
  assert.equal(r.count, 1, "one was read already");
  assert.deepEqual(await subjects("is:unread in:INBOX"), []);
  assert.equal(await applyUndo(store, alice, r.undo!), 1);
  assert.deepEqual(await subjects("is:unread in:INBOX"), ["Budget for March"], "the one read before stays read");
  const star = await applyBulk(store, alice, { ids }, "star");
  assert.equal(star.count, 1);
  await applyUndo(store, alice, star.undo!);
  assert.deepEqual(await subjects("is:starred"), ["Lunch?"]);
});

test("archive, trash, junk and not-junk move through the store; undo puts them back under new UIDs", async () => {
  const before = await t.db.mailbox.findUniqueOrThrow({ where: { id: box.INBOX } });
  const ids = (await searchMail(store, alice, "in:INBOX", { now: NOW })).hits.map((h) => h.id);
  const archived = await applyBulk(store, alice, { ids }, "archive");
  assert.equal(archived.count, 2);
  assert.deepEqual(await subjects("in:INBOX"), []);
  assert.deepEqual(await subjects("in:Archive"), ["Lunch?", "Budget for March"]);
  assert.equal(await applyUndo(store, alice, archived.undo!), 2);
  assert.deepEqual(await subjects("in:INBOX"), ["Lunch?", "Budget for March"]);
  assert.deepEqual(await subjects("in:Archive"), []);
  const after = await t.db.mailbox.findUniqueOrThrow({ where: { id: box.INBOX } });
  assert.equal(after.messageCount, before.messageCount, "the counters follow (triggers)");
  assert.ok(after.uidNext > before.uidNext, "messages come back under new UIDs");

  const lunch = (await searchMail(store, alice, "lunch", { now: NOW })).hits[0].id;
  const junk = await applyBulk(store, alice, { ids: [lunch] }, "junk");
  assert.deepEqual(await subjects("lunch in:junk"), ["Lunch?"]);
  const back = await applyBulk(store, alice, { ids: junk.undo!.groups[0].ids }, "notjunk");
  assert.equal(back.count, 1);
  assert.deepEqual(await subjects("lunch in:INBOX"), ["Lunch?"]);

  const trashed = await applyBulk(store, alice, { ids: (await searchMail(store, alice, "kickoff", { now: NOW })).hits.map((h) => h.id) }, "trash");
  assert.deepEqual(await subjects("kickoff in:anywhere"), ["Zebra kickoff"]);
  assert.equal((await searchMail(store, alice, "kickoff in:trash", { now: NOW })).total, 1);
  await applyUndo(store, alice, trashed.undo!);
  assert.deepEqual(await subjects('kickoff in:"Projects/Zebra"'), ["Zebra kickoff"]);
});

test("move to a named folder, and 'all N matching' by query", async () => {
  const all = await matchingIds(store, alice, "budget", NOW);
  const r = await applyBulk(store, alice, { byFolder: all }, { move: "Projects/Zebra" });
  assert.equal(r.count, 2, "the one already there stays");
  assert.deepEqual(await subjects('in:"Projects/Zebra"'), ["Re: Budget for March", "Budget for March", "Zebra kickoff"]);
  await applyUndo(store, alice, r.undo!);
  assert.deepEqual(await subjects("in:Sent"), ["Re: Budget for March"]);
  await assert.rejects(applyBulk(store, alice, { ids: [(await searchMail(store, alice, "lunch", { now: NOW })).hits[0].id] }, { move: "Nope" }), OrganiseError);
});

test("another account's ids and undo entries change nothing", async () => {
  const bobs = await searchMail(store, bob, "budget", { now: NOW });
  assert.equal(bobs.hits.length, 1);
  const bobId = bobs.hits[0].id;
  assert.deepEqual(await applyBulk(store, alice, { ids: [bobId] }, "trash"), { count: 0, undo: null });
  const forged = await applyUndo(store, alice, { kind: "move", groups: [{ mailboxId: bobs.hits[0].id, ids: [bobId], back: box.INBOX }] });
  assert.equal(forged, 0);
  const stillBobs = await searchMail(store, bob, "budget in:INBOX", { now: NOW });
  assert.equal(stillBobs.hits[0].id, bobId);
  assert.equal(stillBobs.hits[0].seen, false);
});

test("a conversation gathers its messages from every folder, Sent included, oldest first", async () => {
  const raw = (id: string, subject: string, extra = "") =>
    Buffer.from(crlf(`From: Carol <carol@remote.example>\nTo: alice@example.test\nSubject: ${subject}\nMessage-ID: <${id}@test>\n${extra}\nhello\n`));
  await store.append({ accountId: alice, mailbox: "INBOX", raw: raw("t1", "Trip plans"), internalDate: new Date("2026-03-11T08:00:00Z") });
  await store.append({ accountId: alice, mailbox: "Sent", raw: raw("t2", "Re: Trip plans", "In-Reply-To: <t1@test>\nReferences: <t1@test>"), internalDate: new Date("2026-03-11T09:00:00Z") });
  await store.append({ accountId: alice, mailbox: "INBOX", raw: raw("t3", "Re: Trip plans", "In-Reply-To: <t2@test>\nReferences: <t1@test> <t2@test>"), internalDate: new Date("2026-03-11T10:00:00Z") });
  const last = (await searchMail(store, alice, 'subject:"trip plans" in:INBOX', { now: NOW })).hits[0];
  const opened = await getMessage(t.db, alice, last.id);
  const thread = await listThread(t.db, alice, opened!.threadId);
  assert.deepEqual(
    thread.map((m) => [m.subject, m.mailboxName]),
    [
      ["Trip plans", "INBOX"],
      ["Re: Trip plans", "Sent"],
      ["Re: Trip plans", "INBOX"],
    ],
  );
  assert.deepEqual(await listThread(t.db, bob, opened!.threadId), [], "another account's thread id finds nothing of alice's");
  assert.deepEqual(await listThread(t.db, alice, ""), []);
});

test("conversations view: each conversation once by its newest message, counts from every folder, pages by cursor", async () => {
  await store.createMailbox({ accountId: alice, name: "Threads" });
  const msg = (id: string, subject: string, refs: string[] = []) =>
    Buffer.from(crlf(`From: Erin <erin@remote.example>\nTo: alice@example.test\nSubject: ${subject}\nMessage-ID: <${id}@test>\n${refs.length ? `In-Reply-To: <${refs.at(-1)}@test>\nReferences: ${refs.map((r) => `<${r}@test>`).join(" ")}\n` : ""}\nbody\n`));
  const at = (h: number) => new Date(Date.UTC(2026, 2, 12, h));
  // a1 a2 (a3 in Sent), b1, c1 c2, d1, interleaved in time.
  await store.append({ accountId: alice, mailbox: "Threads", raw: msg("a1", "A"), internalDate: at(1) });
  await store.append({ accountId: alice, mailbox: "Threads", raw: msg("b1", "B"), internalDate: at(2) });
  await store.append({ accountId: alice, mailbox: "Threads", raw: msg("c1", "C"), internalDate: at(3) });
  await store.append({ accountId: alice, mailbox: "Threads", raw: msg("a2", "Re: A", ["a1"]), internalDate: at(4) });
  await store.append({ accountId: alice, mailbox: "Sent", raw: msg("a3", "Re: A", ["a1", "a2"]), internalDate: at(5) });
  await store.append({ accountId: alice, mailbox: "Threads", raw: msg("d1", "D"), internalDate: at(6) });
  await store.append({ accountId: alice, mailbox: "Threads", raw: msg("c2", "Re: C", ["c1"]), internalDate: at(7), flags: ["seen"] });

  const first = await listConversations(t.db, alice, "Threads", { pageSize: 2 });
  assert.deepEqual(first?.items.map((i) => [i.subject, i.count, i.memberIds.length, i.anyUnread]), [
    ["Re: C", 2, 2, true],
    ["D", 1, 1, true],
  ]);
  assert.ok(first?.older);
  const second = await listConversations(t.db, alice, "Threads", { pageSize: 2, cursor: first!.older });
  assert.deepEqual(second?.items.map((i) => [i.subject, i.count, i.memberIds.length]), [
    ["Re: A", 3, 2],
    ["B", 1, 1],
  ], "C is not shown again for its older message; A counts its Sent reply");
  const third = second?.older ? await listConversations(t.db, alice, "Threads", { pageSize: 2, cursor: second.older }) : null;
  assert.deepEqual(third?.items ?? [], [], "nothing left");
  // A bulk action on a conversation row changes its messages in the folder.
  const r = await applyBulk(store, alice, { ids: first!.items[0].memberIds }, "read");
  assert.equal(r.count, 1);
  await applyUndo(store, alice, r.undo!);
});
