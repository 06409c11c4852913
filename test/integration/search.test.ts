/**
 * IMAP SEARCH over the store (lib/store/search.ts): every key, AND/OR/NOT, sequence
 * numbers vs UIDs, account and mailbox scoping, the full-text index (HTML, quoted-
 * printable and base64 text, encoded words, attachments that are not text) following
 * delivery, expunge and the blob sweep, and the scan of blobs stored before the index.
 * Messages go in through MailStore.deliver/append. Runs on SQLite and, with
 * TEST_DB=postgresql, on PostgreSQL.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { testDatabase, type TestDatabase } from "../helpers/db";
import { addAccount, addDomain } from "../../lib/directory";
import { openStore, type MailStore } from "../../lib/store";
import { searchMessages, type SearchKey } from "../../lib/store/search";
import { closeReadConnection } from "../../lib/store/read-connection";

let t: TestDatabase;
let store: MailStore;
let alice: string;
let bob: string;
let inbox: string;
let bobInbox: string;
let archive: string;
/** UID of each test message in alice's Inbox, by name. */
const U: Record<string, number> = {};

const crlf = (s: string) => s.replace(/\r?\n/g, "\r\n");
const b64 = (s: string) => Buffer.from(s).toString("base64").replace(/.{76}/g, "$&\r\n");

const MESSAGES: Record<string, string> = {
  plain: `From: Alice Sender <alice.sender@remote.example>
To: Bob Builder <bob@example.test>
Subject: Quarterly report
Date: Wed, 10 Jan 2024 09:00:00 +0000
Message-ID: <plain-1@remote.example>

The budget meeting is on Thursday in the boardroom.
`,
  alternative: `From: =?utf-8?Q?J=C3=BCrgen_M=C3=BCller?= <juergen@remote.example>
To: alice@example.test
Subject: =?utf-8?B?${Buffer.from("Grüße aus München").toString("base64")}?=
Date: Thu, 01 Feb 2024 12:00:00 +0100
Message-ID: <alt-1@remote.example>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Caf=C3=A9 cr=C3=A8me br=C3=BBl=C3=A9e and a soft=
ware update
--b1
Content-Type: text/html; charset=utf-8

<html><body><p>Hello <b>zebra</b> world</p><a href="http://hrefonly.example/">click</a></body></html>
--b1--
`,
  mixed: `From: Carol Clark <carol@remote.example>
To: alice@example.test
Cc: Erin Eager <erin@cc.example>
Bcc: Dave Hidden <dave@hidden.example>
Subject: Penguin notes
Date: Mon, 04 Mar 2024 08:00:00 +0000
X-Custom: Blue Sky Thinking
Message-ID: <mixed-1@remote.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b2"

--b2
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

${b64("Notes about the penguin habitat and its iceberg.\n")}
--b2
Content-Type: application/pdf; name="secret.pdf"
Content-Disposition: attachment; filename="secret.pdf"
Content-Transfer-Encoding: base64

${b64("%PDF-1.4 hiddenpdfword stream " + "x".repeat(3000))}
--b2
Content-Type: text/plain; name="notes.txt"
Content-Disposition: attachment; filename="notes.txt"

The walrus attachment text.
--b2--
`,
  html: `From: Frank <frank@remote.example>
To: alice@example.test
Subject: Zoo
Message-ID: <html-1@remote.example>
In-Reply-To: <plain-1@remote.example>
MIME-Version: 1.0
Content-Type: text/html; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

<html><body><div>Giraffe na=EFve</div><script>var x;</script></body></html>
`,
};

/** A message bigger than BLOB_INLINE_MAX (a file blob), with its text part last. */
const BIG = `From: Grace <grace@remote.example>
To: alice@example.test
Subject: Big one
Date: Sat, 01 Jun 2024 10:00:00 +0000
Message-ID: <big-1@remote.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b3"

--b3
Content-Type: image/png
Content-Transfer-Encoding: base64

${b64("P".repeat(30000))}
--b3
Content-Type: text/plain

An octopus lives here.
--b3--
`;

async function search(key: SearchKey, mailboxId = inbox, accountId = alice) {
  return searchMessages(store, accountId, mailboxId, key);
}
const uids = (...names: string[]) => names.map((n) => U[n]).sort((a, b) => a - b);

before(async () => {
  t = await testDatabase({ BLOB_INLINE_MAX: "8000" });
  store = openStore(t.config, t.db);
  await addDomain(t.db, "example.test", "test");
  alice = (await addAccount(t.db, { email: "alice@example.test", password: "correct horse" }, "test")).id;
  bob = (await addAccount(t.db, { email: "bob@example.test", password: "correct horse" }, "test")).id;
  const box = async (accountId: string, name: string) => (await t.db.mailbox.findUniqueOrThrow({ where: { accountId_name: { accountId, name } } })).id;
  inbox = await box(alice, "INBOX");
  bobInbox = await box(bob, "INBOX");
  archive = await box(alice, "Archive").catch(async () => {
    await store.createMailbox({ accountId: alice, name: "Archive" });
    return box(alice, "Archive");
  });

  // SMTP-style deliveries (plain to alice and bob: one blob) and IMAP-style appends.
  const [d1] = await store.deliver({ raw: Buffer.from(crlf(MESSAGES.plain)), queueId: "q1", targets: [{ accountId: alice }, { accountId: bob }], internalDate: new Date("2024-01-10T09:00:05Z") });
  U.plain = d1.uid;
  await store.setFlags({ accountId: alice, mailboxId: inbox, uids: [U.plain], mode: "add", flags: ["seen"] });
  U.alternative = (await store.append({ accountId: alice, mailbox: "INBOX", raw: Buffer.from(crlf(MESSAGES.alternative)), flags: ["flagged", "seen"], keywords: ["Work"], internalDate: new Date("2024-02-01T23:30:00Z") })).uid;
  U.mixed = (await store.append({ accountId: alice, mailbox: "INBOX", raw: Buffer.from(crlf(MESSAGES.mixed)), flags: ["deleted"], internalDate: new Date("2024-03-04T08:00:00Z") })).uid;
  U.html = (await store.append({ accountId: alice, mailbox: "INBOX", raw: Buffer.from(crlf(MESSAGES.html)), flags: ["draft", "answered"], keywords: ["$Forwarded", "Work"], internalDate: new Date("2023-12-31T12:00:00Z") })).uid;
  const [big] = await store.deliver({ raw: Buffer.from(crlf(BIG)), queueId: "q5", targets: [{ accountId: alice }], internalDate: new Date("2024-06-01T10:00:00Z") });
  U.big = big.uid;
  // The same message in another of alice's folders.
  await store.append({ accountId: alice, mailbox: "Archive", raw: Buffer.from(crlf(MESSAGES.plain)) });
});

after(async () => {
  await closeReadConnection(store);
  await store.close();
  await t.cleanup();
});

test("the messages were indexed once per blob, the big one from its file", async () => {
  const blobs = await t.db.message.findMany({ where: { accountId: alice, mailboxId: inbox }, select: { blobHash: true } });
  const n = await t.db.$queryRawUnsafe<Array<{ n: number | bigint }>>(`SELECT count(*) AS n FROM "BlobText" WHERE "pending" = ${t.config.provider === "sqlite" ? "0" : "false"}`);
  assert.equal(Number(n[0].n), blobs.length, "one entry per distinct blob (plain is shared by alice, bob and Archive)");
  const big = await t.db.blob.findFirstOrThrow({ where: { messages: { some: { uid: U.big, mailboxId: inbox } } } });
  assert.equal(big.data, null, "the big message is a file blob");
});

test("ALL, flags, NEW/OLD/RECENT, keywords", async () => {
  const all = uids("plain", "alternative", "mixed", "html", "big");
  assert.deepEqual(await search({ op: "all" }), all);
  assert.deepEqual(await search({ op: "old" }), all);
  assert.deepEqual(await search({ op: "recent" }), []);
  assert.deepEqual(await search({ op: "flag", flag: "seen", set: true }), uids("plain", "alternative"));
  assert.deepEqual(await search({ op: "flag", flag: "seen", set: false }), uids("mixed", "html", "big"));
  assert.deepEqual(await search({ op: "new" }), uids("mixed", "html", "big"));
  assert.deepEqual(await search({ op: "flag", flag: "deleted", set: true }), uids("mixed"));
  assert.deepEqual(await search({ op: "flag", flag: "draft", set: true }), uids("html"));
  assert.deepEqual(await search({ op: "flag", flag: "answered", set: true }), uids("html"));
  assert.deepEqual(await search({ op: "flag", flag: "flagged", set: false }), uids("plain", "mixed", "html", "big"));
  assert.deepEqual(await search({ op: "keyword", keyword: "Work", set: true }), uids("alternative", "html"));
  assert.deepEqual(await search({ op: "keyword", keyword: "$Forwarded", set: true }), uids("html"));
  assert.deepEqual(await search({ op: "keyword", keyword: "Work", set: false }), uids("plain", "mixed", "big"));
  assert.deepEqual(await search({ op: "keyword", keyword: "Nope", set: true }), []);
});

test("UID and sequence-number ranges", async () => {
  const all = uids("plain", "alternative", "mixed", "html", "big");
  assert.deepEqual(await search({ op: "uid", uids: [[all[1], all[2]]] }), all.slice(1, 3));
  assert.deepEqual(await search({ op: "uid", uids: [[all[4], all[4]], [1000, 2000]] }), [all[4]]);
  assert.deepEqual(await search({ op: "seq", seqs: [[2, 3]] }), all.slice(1, 3));
  assert.deepEqual(await search({ op: "seq", seqs: [[5, 5], [9, 12]] }), [all[4]], "seq beyond the count matches nothing more");
  // After an expunge in the middle, seq 2 is the third message while UID 2's range is empty.
  const scratch = await store.append({ accountId: alice, mailbox: "Archive", raw: Buffer.from("Subject: a\r\n\r\nx\r\n") });
  const scratch2 = await store.append({ accountId: alice, mailbox: "Archive", raw: Buffer.from("Subject: b\r\n\r\ny\r\n") });
  await store.expunge({ accountId: alice, mailboxId: archive, uids: [scratch.uid], onlyDeleted: false });
  assert.deepEqual(await search({ op: "seq", seqs: [[2, 2]] }, archive), [scratch2.uid]);
  assert.deepEqual(await search({ op: "uid", uids: [[scratch.uid, scratch.uid]] }, archive), []);
  await store.expunge({ accountId: alice, mailboxId: archive, uids: [scratch2.uid], onlyDeleted: false });
  // A long set (as "1,3,5,...,4001" or a client's own list): beyond SQLite's expression depth as an OR chain.
  const odd: Array<[number, number]> = Array.from({ length: 2001 }, (_, i) => [2 * i + 1, 2 * i + 1]);
  assert.deepEqual(await search({ op: "uid", uids: odd }), all.filter((u) => u % 2 === 1));
  assert.deepEqual(await search({ op: "not", key: { op: "uid", uids: odd } }), all.filter((u) => u % 2 === 0));
  assert.deepEqual(await search({ op: "uid", uids: [...odd, [all[1], all[3]]] }), all.filter((u) => u % 2 === 1 || (u >= all[1] && u <= all[3])));
  assert.deepEqual(await search({ op: "seq", seqs: Array.from({ length: 100 }, (_, i) => [i * 2 + 1, i * 2 + 1] as [number, number]) }), [all[0], all[2], all[4]]);
});

test("SUBJECT, FROM, TO, CC, BCC: case-insensitive substrings of decoded values, names and addresses", async () => {
  assert.deepEqual(await search({ op: "subject", value: "QUARTERLY" }), uids("plain"));
  assert.deepEqual(await search({ op: "subject", value: "terly rep" }), uids("plain"), "substring, across words");
  assert.deepEqual(await search({ op: "subject", value: "grüße" }), uids("alternative"), "encoded word decoded");
  assert.deepEqual(await search({ op: "subject", value: "MÜNCHEN" }), uids("alternative"), "non-ASCII case folded");
  assert.deepEqual(await search({ op: "subject", value: "100%" }), [], "LIKE wildcards are literal");
  assert.deepEqual(await search({ op: "from", value: "alice.sender@" }), uids("plain"));
  assert.deepEqual(await search({ op: "from", value: "alice sender" }), uids("plain"), "display name");
  assert.deepEqual(await search({ op: "from", value: "jürgen" }), uids("alternative"));
  assert.deepEqual(await search({ op: "to", value: "Builder" }), uids("plain"));
  assert.deepEqual(await search({ op: "to", value: "alice@example.test" }), uids("alternative", "mixed", "html", "big"));
  assert.deepEqual(await search({ op: "to", value: "address" }), [], "not the JSON's key names");
  assert.deepEqual(await search({ op: "cc", value: "erin" }), uids("mixed"));
  assert.deepEqual(await search({ op: "cc", value: "carol" }), []);
  assert.deepEqual(await search({ op: "bcc", value: "DAVE hidden" }), uids("mixed"));
  assert.deepEqual(await search({ op: "bcc", value: "hidden.example" }), uids("mixed"));
  assert.deepEqual(await search({ op: "bcc", value: "erin" }), []);
});

test("HEADER: any field from the stored header section; empty string = has the field", async () => {
  assert.deepEqual(await search({ op: "header", field: "X-Custom", value: "sky think" }), uids("mixed"));
  assert.deepEqual(await search({ op: "header", field: "x-custom", value: "" }), uids("mixed"));
  assert.deepEqual(await search({ op: "header", field: "X-Custom", value: "rain" }), []);
  assert.deepEqual(await search({ op: "header", field: "In-Reply-To", value: "plain-1@" }), uids("html"));
  assert.deepEqual(await search({ op: "header", field: "Message-ID", value: "ALT-1" }), uids("alternative"));
  assert.deepEqual(await search({ op: "header", field: "Subject", value: "penguin" }), uids("mixed"));
  assert.deepEqual(await search({ op: "header", field: "Date", value: "" }), uids("plain", "alternative", "mixed", "big"));
});

test("TEXT and BODY: words of the text parts (HTML, QP, base64, charsets), not of non-text attachments", async () => {
  const text = (value: string) => search({ op: "text", value });
  const body = (value: string) => search({ op: "body", value });
  assert.deepEqual(await body("boardroom"), uids("plain"));
  assert.deepEqual(await body("BUDGET meeting"), uids("plain"), "every word, any case");
  assert.deepEqual(await body("budget giraffe"), [], "all words must be there");
  assert.deepEqual(await body("crème"), uids("alternative"), "quoted-printable UTF-8");
  assert.deepEqual(await body("software"), uids("alternative"), "soft line break joined");
  assert.deepEqual(await body("zebra"), uids("alternative"), "HTML part");
  assert.deepEqual(await body("hrefonly"), [], "link targets are not text");
  assert.deepEqual(await body("naïve"), uids("html"), "ISO-8859-1 HTML");
  assert.deepEqual(await body("var"), [], "script is not text");
  assert.deepEqual(await body("iceberg"), uids("mixed"), "base64 text part");
  assert.deepEqual(await body("walrus"), uids("mixed"), "a text/plain attachment is text");
  assert.deepEqual(await body("hiddenpdfword"), [], "a PDF attachment is not");
  assert.deepEqual(await body("octopus"), uids("big"), "file blob, text after a large image");
  assert.deepEqual(await body("budg"), uids("plain"), "word prefix");
  assert.deepEqual(await body("nonexistentword"), []);
  assert.deepEqual(await body("penguin"), uids("mixed"));
  assert.deepEqual(await body("quarterly"), [], "BODY does not look at the header");
  assert.deepEqual(await text("quarterly"), uids("plain"), "TEXT does (subject)");
  assert.deepEqual(await text("erin"), uids("mixed"), "TEXT: Cc name");
  assert.deepEqual(await text("hidden.example"), uids("mixed"), "TEXT: Bcc address words");
  assert.deepEqual(await text("münchen zebra"), [], "TEXT: a substring (RFC 3501 6.4.4), not words found apart");
  assert.deepEqual(await body("oardroo"), uids("plain"), "a substring within a word");
  assert.deepEqual(await body("udget meet"), uids("plain"), "a substring across words");
  assert.deepEqual(await body("meeting budget"), [], "the words in another order are another string");
  assert.deepEqual(await text(""), uids("plain", "alternative", "mixed", "html", "big"));
});

test("dates: BEFORE/ON/SINCE on the internal date, SENT* on the Date header; LARGER/SMALLER; MODSEQ", async () => {
  assert.deepEqual(await search({ op: "on", date: "2024-02-01" }), uids("alternative"));
  assert.deepEqual(await search({ op: "before", date: "2024-01-10" }), uids("html"));
  assert.deepEqual(await search({ op: "since", date: "2024-03-04" }), uids("mixed", "big"));
  assert.deepEqual(await search({ op: "senton", date: "2024-02-01" }), uids("alternative"));
  assert.deepEqual(await search({ op: "sentbefore", date: "2024-01-11" }), uids("plain", "html"), "no Date header: the internal date");
  assert.deepEqual(await search({ op: "sentsince", date: "2024-06-01" }), uids("big"));
  // The Date header's own day, whatever its zone (RFC 3501 6.4.4): 23:30 -0700 on 6 May is 7 May in UTC.
  const late = await store.append({ accountId: alice, mailbox: "Archive", raw: Buffer.from("Subject: late\r\nDate: Mon, 6 May 2024 23:30:00 -0700\r\n\r\nx\r\n"), internalDate: new Date("2024-05-07T06:30:00Z") });
  const early = await store.append({ accountId: alice, mailbox: "Archive", raw: Buffer.from("Subject: early\r\nDate: Tue, 7 May 2024 00:30:00 +0900\r\n\r\ny\r\n"), internalDate: new Date("2024-05-06T15:30:00Z") });
  assert.deepEqual(await search({ op: "senton", date: "2024-05-06" }, archive), [late.uid]);
  assert.deepEqual(await search({ op: "senton", date: "2024-05-07" }, archive), [early.uid]);
  assert.deepEqual(await search({ op: "sentbefore", date: "2024-05-07" }, archive).then((l) => l.filter((u) => u >= late.uid)), [late.uid]);
  assert.deepEqual(await search({ op: "sentsince", date: "2024-05-07" }, archive), [early.uid]);
  assert.deepEqual(await search({ op: "on", date: "2024-05-07" }, archive), [late.uid], "the internal date: its UTC day");
  await store.expunge({ accountId: alice, mailboxId: archive, uids: [late.uid, early.uid], onlyDeleted: false });
  const sizes = await t.db.message.findMany({ where: { mailboxId: inbox }, select: { uid: true, size: true }, orderBy: { size: "asc" } });
  const mid = sizes[2].size;
  assert.deepEqual(await search({ op: "larger", size: mid }), sizes.filter((s) => s.size > mid).map((s) => s.uid).sort((a, b) => a - b));
  assert.deepEqual(await search({ op: "smaller", size: mid }), sizes.filter((s) => s.size < mid).map((s) => s.uid).sort((a, b) => a - b));
  const top = await t.db.message.findFirstOrThrow({ where: { mailboxId: inbox }, orderBy: { modSeq: "desc" } });
  assert.deepEqual(await search({ op: "modseq", modseq: top.modSeq.toString() }), [top.uid]);
});

test("AND, OR, NOT, nested, mixing indexed columns, the full-text index and header reads", async () => {
  assert.deepEqual(await search({ op: "and", keys: [{ op: "keyword", keyword: "Work", set: true }, { op: "flag", flag: "seen", set: true }] }), uids("alternative"));
  assert.deepEqual(await search({ op: "or", a: { op: "body", value: "zebra" }, b: { op: "subject", value: "zoo" } }), uids("alternative", "html"));
  assert.deepEqual(await search({ op: "not", key: { op: "body", value: "zebra" } }), uids("plain", "mixed", "html", "big"));
  assert.deepEqual(await search({ op: "not", key: { op: "bcc", value: "dave" } }), uids("plain", "alternative", "html", "big"));
  assert.deepEqual(await search({ op: "or", a: { op: "header", field: "X-Custom", value: "blue" }, b: { op: "not", key: { op: "flag", flag: "seen", set: false } } }), uids("plain", "alternative", "mixed"));
  assert.deepEqual(
    await search({ op: "and", keys: [{ op: "not", key: { op: "header", field: "In-Reply-To", value: "" } }, { op: "or", a: { op: "text", value: "penguin" }, b: { op: "since", date: "2024-05-01" } }] }),
    uids("mixed", "big"),
  );
  assert.deepEqual(await search({ op: "and", keys: [] }), uids("plain", "alternative", "mixed", "html", "big"));
});

test("scoping: bob never sees alice's messages (same blob), a folder only its own", async () => {
  const bobs = await search({ op: "body", value: "boardroom" }, bobInbox, bob);
  assert.equal(bobs.length, 1);
  assert.deepEqual(await search({ op: "body", value: "zebra" }, bobInbox, bob), []);
  assert.deepEqual(await search({ op: "all" }, inbox, bob), [], "alice's folder id with bob's account");
  assert.deepEqual(await search({ op: "all" }, bobInbox, alice), []);
  const arch = await search({ op: "body", value: "boardroom" }, archive);
  assert.equal(arch.length, 1);
});

test("blobs without an index entry are scanned, with the same substring rule", async () => {
  const hash = (await t.db.message.findFirstOrThrow({ where: { mailboxId: inbox, uid: U.alternative } })).blobHash;
  // As migration 0003 leaves a blob stored before it: a pending entry without words.
  if (t.config.provider === "sqlite") {
    await t.db.$executeRawUnsafe(`DELETE FROM "BlobFts" WHERE rowid = (SELECT "id" FROM "BlobText" WHERE "hash" = ?)`, hash);
    await t.db.$executeRawUnsafe(`UPDATE "BlobText" SET "pending" = 1 WHERE "hash" = ?`, hash);
  } else {
    await t.db.$executeRawUnsafe(`UPDATE "BlobText" SET "pending" = true, "head" = ''::tsvector, "body" = ''::tsvector WHERE "hash" = $1`, hash);
  }
  assert.deepEqual(await search({ op: "body", value: "zebra" }), uids("alternative"));
  assert.deepEqual(await search({ op: "body", value: "zeb" }), uids("alternative"));
  assert.deepEqual(await search({ op: "body", value: "boardroom" }), uids("plain"), "indexed ones still from the index");
  assert.deepEqual(await search({ op: "not", key: { op: "body", value: "crème" } }), uids("plain", "mixed", "html", "big"));
  assert.deepEqual(await search({ op: "text", value: "münchen" }), uids("alternative"));
  assert.deepEqual(await search({ op: "body", value: "münchen" }), []);
  // The sweeper's round indexes it; then the index answers alone.
  assert.equal(await store.indexPending(), 1);
  assert.equal(await store.indexPending(), 0, "nothing pending any more");
  const still = await t.db.$queryRawUnsafe<Array<{ n: number | bigint }>>(`SELECT count(*) AS n FROM "BlobText" WHERE "pending" = ${t.config.provider === "sqlite" ? "1" : "true"}`);
  assert.equal(Number(still[0].n), 0);
  assert.deepEqual(await search({ op: "body", value: "zebra" }), uids("alternative"));
  assert.deepEqual(await search({ op: "text", value: "münchen" }), uids("alternative"));
});

test("the index follows expunge and the blob sweep", async () => {
  const count = async (word: string) => {
    if (t.config.provider === "sqlite") return Number((await t.db.$queryRawUnsafe<Array<{ n: number }>>(`SELECT count(*) AS n FROM "BlobFts" WHERE "BlobFts" MATCH ?`, `"${word}"`))[0].n);
    return Number((await t.db.$queryRawUnsafe<Array<{ n: bigint }>>(`SELECT count(*) AS n FROM "BlobText" WHERE "body" @@ $1::tsquery`, word))[0].n);
  };
  assert.equal(await count("octopus"), 1);
  await store.expunge({ accountId: alice, mailboxId: inbox, uids: [U.big], onlyDeleted: false });
  assert.deepEqual(await search({ op: "body", value: "octopus" }), [], "gone with the message");
  assert.equal(await count("octopus"), 1, "the blob (and its entry) wait for the sweep");
  await store.sweep();
  assert.equal(await count("octopus"), 0, "the sweep took the entry with the blob");
  // The shared blob: expunged from alice's Inbox, still indexed for bob and Archive.
  await store.expunge({ accountId: alice, mailboxId: inbox, uids: [U.plain], onlyDeleted: false });
  await store.sweep();
  assert.equal(await count("boardroom"), 1);
  assert.deepEqual(await search({ op: "body", value: "boardroom" }), []);
  assert.equal((await search({ op: "body", value: "boardroom" }, bobInbox, bob)).length, 1);
  // Delivered again after the sweep: indexed again.
  const again = await store.append({ accountId: alice, mailbox: "INBOX", raw: Buffer.from(crlf(BIG)) });
  assert.deepEqual(await search({ op: "body", value: "octopus" }), [again.uid]);
});
