/**
 * The webmail list's orders and slices (lib/store/list-sort.ts): each sort walked by
 * keyset cursor and by position gives the same rows in the same order as sorting the
 * folder in JavaScript; the stored sender and subject keys come from delivery and go
 * with a copy; an open message's neighbours follow the sort; one account's slice never
 * holds another's; on SQLite every sort reads its index (no sort step in the plan).
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { testDatabase, type TestDatabase } from "../helpers/db";
import { addAccount, addDomain } from "../../lib/directory";
import { openStore, type MailStore } from "../../lib/store";
import { newQueueId } from "../../lib/domain/ids";
import { LIST_SORTS, listSlice, neighbourMessages, parseSort, type ListSort } from "../../lib/store/list-sort";

let t: TestDatabase;
let store: MailStore;
let alice: string;
let bob: string;
const FOLDER = "Sorted";
const T0 = Date.UTC(2025, 0, 1);

// Single words, so that byte order (SQLite) and any collation (PostgreSQL) agree.
const SENDERS = [`"Mallory" <m@x.example>`, `"alice" <a@x.example>`, `zed@x.example`, `"Bob" <b@x.example>`, `"carol" <c@x.example>`, `"ALICE" <a2@x.example>`];
const SUBJECTS = ["Re: apple", "banana", "Fwd: cherry", "RE: FWD: date", "apple", "Fw: elder", "cherry", "AW: fig"];

interface Sent {
  id: string;
  uid: number;
  minute: number;
  sender: string;
  subject: string;
  size: number;
}
const sent: Sent[] = [];

before(async () => {
  t = await testDatabase();
  store = openStore(t.config, t.db);
  await addDomain(t.db, "example.test", "test");
  alice = (await addAccount(t.db, { email: "alice@example.test", password: "correct horse" }, "test")).id;
  bob = (await addAccount(t.db, { email: "bob@example.test", password: "correct horse" }, "test")).id;
  await store.createMailbox({ accountId: alice, name: FOLDER });
  for (let i = 0; i < 37; i++) {
    const from = SENDERS[(i * 5) % SENDERS.length];
    const subject = SUBJECTS[(i * 3) % SUBJECTS.length];
    // Times shuffled against UIDs (some equal), sizes shuffled and some equal.
    const minute = (i * 17) % 23;
    const body = "x".repeat(((i * 7) % 11) * 40);
    const raw = Buffer.from(`From: ${from}\r\nTo: alice@example.test\r\nSubject: ${subject}\r\nMessage-ID: <s${i}@x.example>\r\n\r\n${body}\r\n`);
    const [d] = await store.deliver({ raw, queueId: newQueueId(), targets: [{ accountId: alice, mailbox: FOLDER }], internalDate: new Date(T0 + minute * 60_000) });
    const name = /^"([^"]*)"/.exec(from)?.[1] ?? from;
    sent.push({ id: d!.messageId, uid: d!.uid, minute, sender: name.toLowerCase(), subject: subject.replace(/^((re|fwd?|aw):\s*)+/i, "").toLowerCase(), size: raw.length });
  }
  // Bob's folder of the same name must never show up in Alice's slices.
  await store.createMailbox({ accountId: bob, name: FOLDER });
  await store.deliver({ raw: Buffer.from(`From: a@x.example\r\nSubject: bob's\r\n\r\nhi\r\n`), queueId: newQueueId(), targets: [{ accountId: bob, mailbox: FOLDER }], internalDate: new Date(T0) });
});
after(async () => {
  await store.close();
  await t.cleanup();
});

const str = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const EXPECTED: Record<ListSort, (a: Sent, b: Sent) => number> = {
  newest: (a, b) => b.minute - a.minute || b.uid - a.uid,
  oldest: (a, b) => a.minute - b.minute || a.uid - b.uid,
  sender: (a, b) => str(a.sender, b.sender) || b.uid - a.uid,
  subject: (a, b) => str(a.subject, b.subject) || b.uid - a.uid,
  size: (a, b) => b.size - a.size || b.uid - a.uid,
};

test("each sort's slices, by cursor and by position, are the folder in that order", async () => {
  for (const sort of LIST_SORTS) {
    const want = [...sent].sort(EXPECTED[sort]).map((m) => m.id);
    const byCursor: string[] = [];
    let after: string | null | undefined;
    for (let n = 0; n < 20; n++) {
      const s = await listSlice(t.db, alice, FOLDER, { sort, limit: 5, start: n * 5, after });
      assert.ok(s);
      assert.equal(s.folder.total, sent.length);
      byCursor.push(...s.messages.map((m) => m.id));
      after = s.next;
      if (!after) break;
    }
    assert.deepEqual(byCursor, want, `${sort} by cursor`);
    const byPosition: string[] = [];
    for (let start = 0; start < sent.length; start += 8) {
      const s = await listSlice(t.db, alice, FOLDER, { sort, limit: 8, start });
      byPosition.push(...s!.messages.map((m) => m.id));
    }
    assert.deepEqual(byPosition, want, `${sort} by position`);
  }
});

test("a cursor of another sort, or a damaged one, is a position instead", async () => {
  const first = await listSlice(t.db, alice, FOLDER, { sort: "sender", limit: 5 });
  const wrong = await listSlice(t.db, alice, FOLDER, { sort: "size", limit: 5, start: 5, after: first!.next });
  const bySize = [...sent].sort(EXPECTED.size).map((m) => m.id);
  assert.deepEqual(wrong!.messages.map((m) => m.id), bySize.slice(5, 10));
  for (const bad of ["", "x", "e30", Buffer.from('["sender",5,1]').toString("base64url"), Buffer.from('["size","a",1]').toString("base64url")]) {
    const s = await listSlice(t.db, alice, FOLDER, { sort: "size", limit: 3, after: bad });
    assert.deepEqual(s!.messages.map((m) => m.id), bySize.slice(0, 3), bad);
  }
  assert.equal(parseSort("sender"), "sender");
  assert.equal(parseSort("drop table"), "newest");
});

test("one account's slices hold none of another's messages, and no other folder's", async () => {
  const s = await listSlice(t.db, bob, FOLDER, { limit: 100 });
  assert.equal(s!.messages.length, 1);
  assert.equal(s!.messages[0].subject, "bob's");
  assert.equal(await listSlice(t.db, bob, "Nope"), null);
  const ids = new Set(sent.map((m) => m.id));
  const deep = await listSlice(t.db, bob, FOLDER, { limit: 100, start: 0, after: (await listSlice(t.db, alice, FOLDER, { limit: 2 }))!.next });
  assert.ok(deep!.messages.every((m) => !ids.has(m.id)), "alice's cursor reads bob's own folder only");
});

test("the sort keys are written at delivery and go with a copy", async () => {
  const m = sent.find((x) => x.sender === "zed@x.example")!;
  const row = await t.db.message.findUniqueOrThrow({ where: { id: m.id }, select: { sortFrom: true, sortSubject: true, subject: true } });
  assert.equal(row.sortFrom, "zed@x.example", "no display name: the address");
  assert.equal(row.sortSubject, m.subject);
  const fwd = sent.find((x) => x.subject === "date")!;
  assert.equal((await t.db.message.findUniqueOrThrow({ where: { id: fwd.id }, select: { sortSubject: true } })).sortSubject, "date", "RE: FWD: date");
  await store.createMailbox({ accountId: alice, name: "Copies" });
  await store.copy({ accountId: alice, fromMailboxId: (await t.db.message.findUniqueOrThrow({ where: { id: m.id } })).mailboxId, messageIds: [m.id], to: { name: "Copies" } });
  const copy = await listSlice(t.db, alice, "Copies", { sort: "sender" });
  const copied = await t.db.message.findUniqueOrThrow({ where: { id: copy!.messages[0].id }, select: { sortFrom: true, sortSubject: true } });
  assert.deepEqual(copied, { sortFrom: row.sortFrom, sortSubject: row.sortSubject });
});

test("an open message's neighbours follow the sort", async () => {
  const box = (await t.db.mailbox.findFirstOrThrow({ where: { accountId: alice, name: FOLDER } })).id;
  for (const sort of LIST_SORTS) {
    const order = [...sent].sort(EXPECTED[sort]);
    for (const i of [0, 7, order.length - 1]) {
      const n = await neighbourMessages(t.db, alice, box, order[i], sort);
      assert.equal(n.after, order[i + 1]?.id ?? null, `${sort} after ${i}`);
      assert.equal(n.before, order[i - 1]?.id ?? null, `${sort} before ${i}`);
    }
  }
});

test("on SQLite each sort reads its index: no sort step, and a position deep in the list is a covering index walk", async () => {
  if (t.config.provider !== "sqlite") return;
  const orders: Record<ListSort, string> = {
    newest: `"internalDate" DESC, "uid" DESC`,
    oldest: `"internalDate" ASC, "uid" ASC`,
    sender: `"sortFrom" ASC, "uid" DESC`,
    subject: `"sortSubject" ASC, "uid" DESC`,
    size: `"size" DESC, "uid" DESC`,
  };
  for (const [sort, order] of Object.entries(orders)) {
    const plan = await t.db.$queryRawUnsafe<Array<{ detail: string }>>(
      `EXPLAIN QUERY PLAN SELECT "uid" FROM "Message" WHERE "mailboxId" = 'b' ORDER BY ${order} LIMIT 100 OFFSET 90000`,
    );
    const text = plan.map((p) => p.detail).join("; ");
    // Covering: an offset walks the index alone, never the rows it skips.
    assert.match(text, /USING COVERING INDEX Message_mailboxId_/, `${sort}: ${text}`);
    assert.doesNotMatch(text, /TEMP B-TREE/, `${sort}: ${text}`);
  }
});
