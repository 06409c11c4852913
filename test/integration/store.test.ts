/**
 * The store's change path (lib/store): append, flags and keywords, copy and move with
 * their UID mappings, expunge, folders and UIDVALIDITY, quota on the real size, counters,
 * and the blob lifecycle. Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { testDatabase, type TestDatabase } from "../helpers/db";
import { addAccount, addDomain, removeAccount } from "../../lib/directory";
import { openStore, isStoreError, type MailStore } from "../../lib/store";
import { BlobSweeper } from "../../lib/store/blob-sweeper";
import { createLogger } from "../../lib/log";

let t: TestDatabase;
let store: MailStore;
let alice: string;
let bob: string;

const msg = (subject: string, body = "hello") => Buffer.from(`From: a@remote.example\r\nTo: alice@example.test\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, "")}@remote.example>\r\n\r\n${body}\r\n`);

async function box(accountId: string, name: string) {
  return t.db.mailbox.findUniqueOrThrow({ where: { accountId_name: { accountId, name } } });
}

async function rejectsWith(p: Promise<unknown>, code: Parameters<typeof isStoreError>[1]) {
  await assert.rejects(p, (e: unknown) => isStoreError(e, code) || assert.fail(`expected ${code}, got ${String(e)}`));
}

before(async () => {
  t = await testDatabase({ BLOB_INLINE_MAX: "1000" });
  store = openStore(t.config, t.db);
  await addDomain(t.db, "example.test", "test");
  alice = (await addAccount(t.db, { email: "alice@example.test", password: "correct horse" }, "test")).id;
  bob = (await addAccount(t.db, { email: "bob@example.test", password: "correct horse" }, "test")).id;
});
after(async () => {
  await store.close();
  await t.cleanup();
});

test("append returns UIDVALIDITY and consecutive UIDs, keeps flags, keywords and the internal date; counters follow", async () => {
  const date = new Date("2024-05-06T07:08:09Z");
  const a = await store.append({ accountId: alice, mailbox: "Drafts", raw: msg("draft 1"), flags: ["draft", "seen"], keywords: ["$Forwarded", "Work"], internalDate: date });
  const b = await store.append({ accountId: alice, mailbox: "Drafts", raw: msg("draft 2") });
  const drafts = await box(alice, "Drafts");
  assert.equal(a.uidValidity, drafts.uidValidity);
  assert.equal(b.uid, a.uid + 1);
  assert.equal(drafts.uidNext, b.uid + 1);
  const row = await t.db.message.findUniqueOrThrow({ where: { id: a.messageId } });
  assert.equal(row.draft, true);
  assert.equal(row.seen, true);
  assert.equal(row.keywords, "$Forwarded Work");
  assert.equal(row.internalDate.toISOString(), date.toISOString());
  assert.equal(BigInt(a.modSeq), row.modSeq);
  assert.deepEqual((await t.db.messageKeyword.findMany({ where: { messageId: a.messageId }, orderBy: { keyword: "asc" } })).map((k) => k.keyword), ["$Forwarded", "Work"]);
  assert.equal(drafts.keywords, "$Forwarded Work", "the folder knows its keywords (FLAGS)");
  assert.equal(drafts.messageCount, 2);
  assert.equal(drafts.unseenCount, 1);
  assert.equal(drafts.totalBytes, BigInt(msg("draft 1").length + msg("draft 2").length));
  await rejectsWith(store.append({ accountId: alice, mailbox: "Nope", raw: msg("x") }), "no-mailbox");
  await rejectsWith(store.append({ accountId: bob, mailbox: "Drafts", raw: msg("x"), keywords: ["bad keyword"] }), "invalid");
});

test("flags: add, remove, replace under one new MODSEQ; no-ops change nothing; UNCHANGEDSINCE reports MODIFIED", async () => {
  const inbox = await box(alice, "INBOX");
  const [m1, m2, m3] = [await store.append({ accountId: alice, mailbox: "INBOX", raw: msg("f1") }), await store.append({ accountId: alice, mailbox: "INBOX", raw: msg("f2") }), await store.append({ accountId: alice, mailbox: "INBOX", raw: msg("f3") })];
  const r1 = await store.setFlags({ accountId: alice, mailboxId: inbox.id, uids: [m1.uid, m2.uid, m3.uid], mode: "add", flags: ["seen", "flagged"], keywords: ["Todo"] });
  assert.equal(r1.changed.length, 3);
  assert.ok(r1.changed.every((c) => c.modSeq === r1.modSeq), "one MODSEQ for the whole STORE");
  assert.deepEqual(r1.changed[0].flags, ["seen", "flagged"]);
  assert.equal((await box(alice, "INBOX")).unseenCount, (await t.db.message.count({ where: { mailboxId: inbox.id, seen: false } })));

  const again = await store.setFlags({ accountId: alice, mailboxId: inbox.id, uids: [m1.uid], mode: "add", flags: ["seen"] });
  assert.equal(again.modSeq, null, "nothing changed: no new MODSEQ");
  assert.equal((await box(alice, "INBOX")).highestModSeq, BigInt(r1.modSeq!));

  const r2 = await store.setFlags({ accountId: alice, mailboxId: inbox.id, uids: [m2.uid], mode: "remove", flags: ["flagged"], keywords: ["Todo"] });
  assert.deepEqual([r2.changed[0].flags, r2.changed[0].keywords], [["seen"], []]);
  assert.equal(await t.db.messageKeyword.count({ where: { messageId: m2.messageId } }), 0, "keyword index follows");
  assert.equal(await t.db.messageKeyword.count({ where: { mailboxId: inbox.id, keyword: "Todo" } }), 2);

  // RFC 7162 3.1.3: m2 changed after r1's MODSEQ, so UNCHANGEDSINCE r1 leaves it alone.
  const r3 = await store.setFlags({ accountId: alice, mailboxId: inbox.id, uids: [m1.uid, m2.uid, m3.uid], mode: "replace", flags: ["answered"], unchangedSince: r1.modSeq });
  assert.deepEqual(r3.modified, [m2.uid]);
  assert.deepEqual(r3.changed.map((c) => [c.uid, c.flags, c.keywords]), [[m1.uid, ["answered"], []], [m3.uid, ["answered"], []]]);
  assert.equal((await box(alice, "INBOX")).keywords, "Todo", "the known keyword set never shrinks");

  // Another account's mailbox is not reachable by id.
  await rejectsWith(store.setFlags({ accountId: bob, mailboxId: inbox.id, uids: [m1.uid], mode: "add", flags: ["deleted"] }), "no-mailbox");
  assert.equal((await t.db.message.findUniqueOrThrow({ where: { id: m1.messageId } })).deleted, false);
});

test("copy and move: new UIDs in source order (COPYUID), same blob, flags kept; a move expunges the source", async () => {
  const src = await store.createMailbox({ accountId: alice, name: "Src" });
  const dst = await store.createMailbox({ accountId: alice, name: "Dst" });
  const ms = [];
  for (let i = 0; i < 3; i++) ms.push(await store.append({ accountId: alice, mailbox: "Src", raw: msg(`c${i}`), flags: i === 1 ? ["flagged"] : [], keywords: i === 2 ? ["Keep"] : [] }));
  const used0 = (await t.db.account.findUniqueOrThrow({ where: { id: alice } })).usedBytes;
  const copied = await store.copy({ accountId: alice, fromMailboxId: src.id, uids: [ms[2].uid, ms[0].uid], to: { name: "Dst" } });
  assert.equal(copied.uidValidity, dst.uidValidity);
  assert.deepEqual(copied.mapping, [[ms[0].uid, 1], [ms[2].uid, 2]]);
  assert.ok((await t.db.account.findUniqueOrThrow({ where: { id: alice } })).usedBytes > used0, "a copy counts against the quota");
  const moved = await store.move({ accountId: alice, fromMailboxId: src.id, uids: [ms[1].uid, ms[2].uid], to: { id: dst.id } });
  assert.deepEqual(moved.mapping, [[ms[1].uid, 3], [ms[2].uid, 4]]);
  assert.deepEqual(moved.expunged, [ms[1].uid, ms[2].uid]);
  const dstRows = await t.db.message.findMany({ where: { mailboxId: dst.id }, orderBy: { uid: "asc" } });
  assert.deepEqual(dstRows.map((r) => [r.uid, r.subject, r.flagged, r.keywords]), [[1, "c0", false, ""], [2, "c2", false, "Keep"], [3, "c1", true, ""], [4, "c2", false, "Keep"]]);
  const srcRows = await t.db.message.findMany({ where: { mailboxId: src.id } });
  assert.deepEqual(srcRows.map((r) => r.subject), ["c0"]);
  const counters = await box(alice, "Src");
  assert.equal(counters.messageCount, 1);
  const blob = await t.db.blob.findUniqueOrThrow({ where: { hash: dstRows[1].blobHash } });
  assert.equal(blob.refCount, 2, "two rows share c2's blob");
  await rejectsWith(store.copy({ accountId: alice, fromMailboxId: src.id, uids: [ms[0].uid], to: { name: "Missing" } }), "no-mailbox");
  await rejectsWith(store.copy({ accountId: bob, fromMailboxId: src.id, uids: [ms[0].uid], to: { name: "INBOX" } }), "no-mailbox");
});

test("expunge removes only \\Deleted messages (or the given UIDs) and records them with their MODSEQ", async () => {
  const b = await store.createMailbox({ accountId: alice, name: "Exp" });
  const ms = [];
  for (let i = 0; i < 4; i++) ms.push(await store.append({ accountId: alice, mailbox: "Exp", raw: msg(`e${i}`), flags: i < 3 ? ["deleted"] : [] }));
  const r = await store.expunge({ accountId: alice, mailboxId: b.id, uids: [ms[0].uid, ms[1].uid, ms[3].uid], onlyDeleted: true });
  assert.deepEqual(r.uids, [ms[0].uid, ms[1].uid], "UID EXPUNGE: deleted AND in the set");
  const rest = await store.expunge({ accountId: alice, mailboxId: b.id, onlyDeleted: true });
  assert.deepEqual(rest.uids, [ms[2].uid]);
  assert.deepEqual((await t.db.message.findMany({ where: { mailboxId: b.id } })).map((m) => m.uid), [ms[3].uid]);
  const ex = await t.db.expungedMessage.findMany({ where: { mailboxId: b.id }, orderBy: { uid: "asc" } });
  assert.deepEqual(ex.map((e) => [e.uid, String(e.modSeq)]), [[ms[0].uid, r.modSeq], [ms[1].uid, r.modSeq], [ms[2].uid, rest.modSeq]]);
  assert.equal((await store.expunge({ accountId: alice, mailboxId: b.id, onlyDeleted: true })).modSeq, null, "nothing to expunge, no MODSEQ");
});

test("folders: create with parents, rename with children, INBOX's rename rule, delete; UIDVALIDITY never repeats", async () => {
  const made = await store.createMailbox({ accountId: alice, name: "Projects/2026/Q1" });
  assert.equal(made.name, "Projects/2026/Q1");
  assert.ok(await box(alice, "Projects/2026"), "parents are created");
  await rejectsWith(store.createMailbox({ accountId: alice, name: "Projects" }), "exists");
  await rejectsWith(store.createMailbox({ accountId: alice, name: "inbox" }), "exists");
  for (const bad of ["", "a//b", "/lead", "trail/", "tab\there", "star*", " pad"]) await rejectsWith(store.createMailbox({ accountId: alice, name: bad }), "invalid");

  await store.renameMailbox({ accountId: alice, from: "Projects", to: "Work/Old projects" });
  assert.ok(await box(alice, "Work/Old projects/2026/Q1"), "children move with their parent");
  assert.equal(await t.db.mailbox.count({ where: { accountId: alice, name: { startsWith: "Projects" } } }), 0);

  // Deleting and re-creating a name in the same second gives a new UIDVALIDITY.
  const seen = new Set<number>();
  for (let i = 0; i < 5; i++) {
    const m = await store.createMailbox({ accountId: alice, name: "Churn" });
    assert.ok(!seen.has(m.uidValidity), "UIDVALIDITY reused");
    assert.ok(m.uidValidity > 0 && m.uidValidity < 2 ** 31, "fits a signed 32-bit column");
    seen.add(m.uidValidity);
    await store.deleteMailbox({ accountId: alice, name: "Churn" });
  }
  await store.setSubscribed({ accountId: alice, name: "Work", subscribed: false });
  assert.equal((await box(alice, "Work")).subscribed, false);
  // RFC 3501 6.3.6: a name may be subscribed without a folder; the folder made later is subscribed.
  await store.setSubscribed({ accountId: alice, name: "Later", subscribed: true });
  assert.equal(await t.db.subscription.count({ where: { accountId: alice, name: "Later" } }), 1);
  await store.createMailbox({ accountId: alice, name: "Later", subscribed: false });
  assert.equal((await box(alice, "Later")).subscribed, true);
  assert.equal(await t.db.subscription.count({ where: { accountId: alice } }), 1, "only Churn's, kept from its deletion");
  await store.deleteMailbox({ accountId: alice, name: "Later" });
  assert.equal(await t.db.subscription.count({ where: { accountId: alice, name: "Later" } }), 1, "the subscription outlives the folder");
  await store.setSubscribed({ accountId: alice, name: "Later", subscribed: false });
  await rejectsWith(store.setSubscribed({ accountId: alice, name: "Nope", subscribed: false }), "no-mailbox");
  const kinds = (await t.db.mailboxChange.findMany({ where: { accountId: alice, kind: { startsWith: "mailbox-" } } })).map((c) => c.kind);
  for (const k of ["mailbox-create", "mailbox-rename", "mailbox-delete", "mailbox-update"]) assert.ok(kinds.includes(k), `journal has ${k}`);
  await rejectsWith(store.deleteMailbox({ accountId: alice, name: "INBOX" }), "not-allowed");
  await rejectsWith(store.deleteMailbox({ accountId: alice, name: "Work" }), "not-allowed");

  // RFC 3501 6.3.5: renaming INBOX moves its messages to the new folder and leaves INBOX empty.
  const inboxBefore = await box(bob, "INBOX");
  await store.append({ accountId: bob, mailbox: "INBOX", raw: msg("old inbox mail") });
  await store.renameMailbox({ accountId: bob, from: "INBOX", to: "Old Inbox" });
  const inboxAfter = await box(bob, "INBOX");
  assert.equal(inboxAfter.id, inboxBefore.id);
  assert.equal(inboxAfter.messageCount, 0);
  assert.equal((await box(bob, "Old Inbox")).messageCount, 1);
});

test("quota is enforced on the real size, inside the store", async () => {
  const carol = (await addAccount(t.db, { email: "carol@example.test", password: "correct horse", quotaBytes: 300 }, "test")).id;
  await store.append({ accountId: carol, mailbox: "INBOX", raw: Buffer.alloc(200, 0x61) });
  await rejectsWith(store.append({ accountId: carol, mailbox: "INBOX", raw: Buffer.alloc(200, 0x62) }), "over-quota");
  assert.equal((await t.db.account.findUniqueOrThrow({ where: { id: carol } })).usedBytes, 200n);
  // SMTP's DATA-time check allows 10% over what RCPT accepted.
  await store.deliver({ raw: Buffer.alloc(120, 0x63), queueId: "Q1", targets: [{ accountId: carol }], quota: "grace" });
  assert.equal((await t.db.account.findUniqueOrThrow({ where: { id: carol } })).usedBytes, 320n);
});

test("blobs are freed with their last message: rows and files, after deletes of messages and accounts", async () => {
  const dave = (await addAccount(t.db, { email: "dave@example.test", password: "correct horse" }, "test")).id;
  const big = Buffer.concat([Buffer.from("Subject: big\r\n\r\n"), Buffer.alloc(5000, 0x78)]);
  const small = msg("small one");
  const d1 = await store.append({ accountId: dave, mailbox: "INBOX", raw: big });
  await store.append({ accountId: dave, mailbox: "Archive", raw: big });
  await store.append({ accountId: dave, mailbox: "INBOX", raw: small });
  const bigRow = await t.db.message.findUniqueOrThrow({ where: { id: d1.messageId } });
  const file = store.blobs.files!.pathOf(bigRow.blobHash);
  assert.ok(fs.existsSync(file), "the big message is a file");
  assert.equal((await t.db.blob.findUniqueOrThrow({ where: { hash: bigRow.blobHash } })).refCount, 2);

  const sweeper = new BlobSweeper(store, createLogger({ test: "sweep" }));
  await store.expunge({ accountId: dave, mailboxId: bigRow.mailboxId, messageIds: [d1.messageId], onlyDeleted: false });
  await sweeper.tick();
  assert.ok(fs.existsSync(file), "still used by the Archive copy");

  await removeAccount(t.db, "dave@example.test", "test");
  const r = await sweeper.tick();
  assert.ok(r.rows >= 2 && r.files >= 1, JSON.stringify(r));
  assert.ok(!fs.existsSync(file), "the file is gone");
  assert.equal(await t.db.blob.count({ where: { hash: bigRow.blobHash } }), 0);
  assert.equal(await t.db.blob.count({ where: { refCount: { lte: 0 } } }), 0, "no unreferenced row is left");

  // Leftovers: a stale temporary file and a file with no row.
  const tmp = `${store.blobs.files!.root}/tmp/stale.123`;
  fs.writeFileSync(tmp, "x");
  const orphan = store.blobs.files!.pathOf("ab".padEnd(64, "c"));
  fs.writeFileSync(orphan, "y");
  const old = new Date(Date.now() - 2 * 3600_000);
  fs.utimesSync(tmp, old, old);
  fs.utimesSync(orphan, old, old);
  const fresh = store.blobs.files!.pathOf("cd".padEnd(64, "e"));
  fs.writeFileSync(fresh, "z");
  const r2 = await sweeper.tick(Date.now(), { orphans: true });
  assert.equal(r2.tmp, 1);
  assert.equal(r2.orphans, 1);
  assert.ok(!fs.existsSync(tmp) && !fs.existsSync(orphan));
  assert.ok(fs.existsSync(fresh), "a file younger than the grace period may belong to a delivery in progress");
});

test("a file blob removed under a delivery makes it fail temporarily, never a row without bytes", async () => {
  const big = Buffer.concat([Buffer.from("Subject: race\r\n\r\n"), Buffer.alloc(4000, 0x79)]);
  const ref = await store.blobs.put(big);
  fs.unlinkSync(ref.file!);
  await rejectsWith(store.deliver({ raw: big, blob: ref, queueId: "Q2", targets: [{ accountId: alice }], summary: { fromAddress: "", fromName: "", to: [], cc: [], subject: "race", sentDate: null, messageId: "", inReplyTo: "", references: [], snippet: "", hasAttachments: false } }), "blob-missing");
  assert.equal(await t.db.blob.count({ where: { hash: ref.hash } }), 0);
});

test("PostgreSQL: messages to {alice, bob} and {bob, alice} delivered concurrently never deadlock", async (ctx) => {
  if (t.config.provider !== "postgresql") return ctx.skip("SQLite serialises writers: there is no row lock order to get wrong");
  const { PgRunner } = await import("../../lib/store/runner");
  const runner = store.runner as InstanceType<typeof PgRunner>;
  const before = await t.db.message.count({ where: { accountId: { in: [alice, bob] } } });
  const pairs = 200;
  for (let i = 0; i < pairs; i += 10) {
    await Promise.all(
      Array.from({ length: 10 }, (_, j) => [
        store.deliver({ raw: msg(`ab ${i + j}`), queueId: `AB${i + j}`, targets: [{ accountId: alice }, { accountId: bob }] }),
        store.deliver({ raw: msg(`ba ${i + j}`), queueId: `BA${i + j}`, targets: [{ accountId: bob }, { accountId: alice }] }),
      ]).flat(),
    );
  }
  assert.equal(await t.db.message.count({ where: { accountId: { in: [alice, bob] } } }), before + pairs * 4);
  assert.equal(runner.retries, 0, "no transaction had to be retried after a deadlock");
});

test("a blob first stored as a file and later arriving inline keeps its bytes in the row; either copy serves reads", async () => {
  const { openStore: open } = await import("../../lib/store");
  const { loadConfig } = await import("../../lib/config");
  const raw = Buffer.concat([Buffer.from("Subject: tiers\r\n\r\n"), Buffer.alloc(3000, 0x7a)]);
  // The same bytes under two settings of BLOB_INLINE_MAX: first a file (limit 1000), then inline.
  const inlineStore = open(loadConfig({ ...process.env, DATA_DIR: t.config.dataDir, DATABASE_URL: t.config.databaseUrl, BLOB_INLINE_MAX: "100000" }), t.db);
  try {
    const first = await store.append({ accountId: alice, mailbox: "INBOX", raw });
    const hash = (await t.db.message.findUniqueOrThrow({ where: { id: first.messageId } })).blobHash;
    assert.equal((await t.db.blob.findUniqueOrThrow({ where: { hash } })).data, null, "a file first");
    await inlineStore.append({ accountId: alice, mailbox: "INBOX", raw });
    const row = await t.db.blob.findUniqueOrThrow({ where: { hash } });
    assert.equal(Buffer.from(row.data!).equals(raw), true, "the inline arrival filled in the row's bytes");
    assert.equal(row.refCount, 2);
    fs.unlinkSync(store.blobs.files!.pathOf(hash));
    assert.ok((await store.blobs.get(hash)).equals(raw), "readable from the row without the file");
  } finally {
    await inlineStore.close();
  }
});
