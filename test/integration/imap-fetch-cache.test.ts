/**
 * ENVELOPE and BODYSTRUCTURE rendered once per blob ("BlobImap", lib/store/imap-cache.ts):
 * written at delivery, equal to what rendering the stored structure gives; a blob
 * delivered before the table existed is rendered at its first FETCH, answered the same,
 * and stored for the next; the rows go with their blob. Also the paths a FETCH of many
 * messages takes (UID ranges, several batches) against a plain per-message FETCH, and a
 * one-message FETCH, which reads the mailbox's HIGHESTMODSEQ with its row instead of after
 * it, still telling what another session changed.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestEngine, type TestEngine } from "../helpers/engine";
import { rawSignedIn, type RawImap } from "../helpers/imap";
import { reader } from "../../lib/store/read-connection";
import { renderingOf } from "../../lib/store/imap-cache";

let t: TestEngine;
/** Commands on 2,200 messages: generous on a loaded machine (PostgreSQL stores 500 in one APPEND). */
const SLOW = 120_000;
before(async () => {
  t = await startTestEngine();
});
after(() => t.stop());

const MULTIPART = [
  "From: \"Ann Example\" <ann@example.test>",
  "To: group: bob@example.test, \"C, D\" <cd@example.test>;",
  "Subject: =?UTF-8?Q?caf=C3=A9?= report",
  "Date: Mon, 2 Dec 2026 10:00:00 +0000",
  "Message-ID: <m1@example.test>",
  "MIME-Version: 1.0",
  'Content-Type: multipart/mixed; boundary="b1"',
  "",
  "--b1",
  "Content-Type: text/plain; charset=utf-8",
  "",
  "hello",
  "--b1",
  'Content-Type: application/pdf; name="r.pdf"',
  "Content-Transfer-Encoding: base64",
  'Content-Disposition: attachment; filename="r.pdf"',
  "",
  "JVBERi0xLjQK",
  "--b1--",
  "",
].join("\r\n");

async function append(c: RawImap, box: string, msg: string): Promise<void> {
  assert.equal((await c.command(`APPEND ${box} {${Buffer.byteLength(msg)}+}\r\n${msg}`)).status, "OK");
}

async function cacheRows(): Promise<Map<string, { envelope: string; bodyStructure: string }>> {
  const rows = await reader(t.engine.ctx.store).all<{ hash: string; envelope: string; bodyStructure: string }>(`SELECT "hash", "envelope", "bodyStructure" FROM "BlobImap"`, []);
  return new Map(rows.map((r) => [r.hash, { envelope: r.envelope, bodyStructure: r.bodyStructure }]));
}

test("delivery stores the rendering; FETCH answers from it, and renders and stores it for a blob without one", async () => {
  const c = await rawSignedIn(t.imapPort, "alice@example.test");
  assert.equal((await c.command("CREATE Cache")).status, "OK");
  await append(c, "Cache", MULTIPART);
  await append(c, "Cache", "Subject: plain\r\nFrom: x@example.test\r\n\r\nbody\r\n");
  const blobs = await t.db.message.findMany({ where: { mailbox: { name: "Cache", account: { email: "alice@example.test" } } }, orderBy: { uid: "asc" }, select: { blobHash: true, blob: { select: { structure: true } } } });
  const stored = await cacheRows();
  for (const b of blobs) assert.deepEqual(stored.get(b.blobHash), renderingOf(b.blob.structure), "stored at delivery, as rendered from the structure");

  assert.equal((await c.command("SELECT Cache")).status, "OK");
  const first = await c.command("FETCH 1:2 (ENVELOPE BODYSTRUCTURE)");
  assert.equal(first.status, "OK");
  const env = stored.get(blobs[0].blobHash)!;
  assert.ok(first.text.includes(`* 1 FETCH (ENVELOPE ${env.envelope} BODYSTRUCTURE ${env.bodyStructure})\r\n`), first.text);
  assert.match(env.envelope, /\("Ann Example" NIL "ann" "example.test"\)/);
  assert.match(env.bodyStructure, /\("application" "pdf" \("name" "r.pdf"\) NIL NIL "base64" 12 NIL \("attachment" \("filename" "r.pdf"\)\) NIL NIL\) "mixed"/);

  // A blob delivered before the table existed: no row. The answer is the same, and the row comes back.
  await deleteRenderings(blobs.map((b) => b.blobHash));
  assert.equal((await cacheRows()).size, stored.size - 2);
  const again = await c.command("FETCH 1:2 (ENVELOPE BODYSTRUCTURE)");
  const untagged = (text: string) => text.slice(0, text.lastIndexOf("\r\n", text.length - 3) + 2);
  assert.equal(untagged(again.text), untagged(first.text), "rendered from the structure, the same text");
  const deadline = Date.now() + 20_000;
  while ((await cacheRows()).size < stored.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(await cacheRows(), stored, "stored again after the FETCH");

  // BODY (not extended) comes from the structure; a whole-message section needs none.
  const body = await c.command("FETCH 1 (BODY BODY.PEEK[HEADER.FIELDS (SUBJECT)] RFC822.SIZE)");
  assert.match(body.text, /BODY \(\("text" "plain" \("charset" "utf-8"\) NIL NIL "7bit" 5 1\) \("application" "pdf" \("name" "r.pdf"\) NIL NIL "base64" 12\) "mixed"\)/);
  assert.match(body.text, /BODY\[HEADER\.FIELDS \(SUBJECT\)\] \{\d+\}\r\nSubject: =\?UTF-8\?Q\?caf=C3=A9\?= report\r\n\r\n/);
  c.close();
});

async function deleteRenderings(hashes: string[]): Promise<void> {
  // The test plays a database from before the table: hashes are hex, safe to inline.
  await t.db.$executeRawUnsafe(`DELETE FROM "BlobImap" WHERE "hash" IN (${hashes.map((h) => `'${h}'`).join(", ")})`);
}

test("the rendering goes with its blob", async () => {
  const c = await rawSignedIn(t.imapPort, "bob@example.test");
  assert.equal((await c.command("CREATE Gone")).status, "OK");
  await append(c, "Gone", "Subject: soon gone\r\nFrom: y@example.test\r\n\r\nunique body 7f3a\r\n");
  const m = await t.db.message.findFirstOrThrow({ where: { mailbox: { name: "Gone", account: { email: "bob@example.test" } } }, select: { blobHash: true } });
  assert.ok((await cacheRows()).has(m.blobHash));
  assert.equal((await c.command("SELECT Gone")).status, "OK");
  assert.equal((await c.command("STORE 1 +FLAGS.SILENT (\\Deleted)")).status, "OK");
  assert.equal((await c.command("EXPUNGE")).status, "OK");
  await t.engine.ctx.store.sweep();
  assert.equal((await cacheRows()).has(m.blobHash), false);
  c.close();
});

test("a FETCH of many messages (UID ranges, several batches, gaps) answers as one FETCH per message does", async () => {
  const c = await rawSignedIn(t.imapPort, "alice@example.test");
  assert.equal((await c.command("CREATE Many")).status, "OK");
  const n = 2200;
  const msgs: string[] = [];
  for (let i = 1; i <= n; i++) msgs.push(`Subject: m${i}\r\nFrom: "N ${i}" <n${i}@example.test>\r\nMessage-ID: <many${i}@example.test>\r\n\r\nbody ${i}\r\n`);
  // MULTIAPPEND in a few commands: one transaction each.
  for (let i = 0; i < n; i += 500) {
    const part = msgs.slice(i, i + 500);
    const cmd = `APPEND Many ${part.map((m) => `{${Buffer.byteLength(m)}+}\r\n${m}`).join(" ")}`;
    assert.equal((await c.command(cmd, SLOW)).status, "OK");
  }
  assert.equal((await c.command("SELECT Many", SLOW)).status, "OK");
  // Gaps: every 7th message expunged.
  const del = Array.from({ length: Math.floor(n / 7) }, (_, i) => (i + 1) * 7).join(",");
  assert.equal((await c.command(`UID STORE ${del} +FLAGS.SILENT (\\Deleted)`, SLOW)).status, "OK");
  assert.equal((await c.command("EXPUNGE", SLOW)).status, "OK");
  const items = "(UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE MODSEQ)";
  const all = await c.command(`UID FETCH 1:* ${items}`, SLOW);
  assert.equal(all.status, "OK");
  const fetched = (text: string) => text.split("\r\n").filter((l) => /^\* \d+ FETCH /.test(l));
  const lines = fetched(all.text);
  assert.equal(lines.length, n - Math.floor(n / 7));
  // Every 97th message alone, and a non-contiguous set, give the same lines.
  for (let seq = 1; seq <= lines.length; seq += 97) {
    const one = await c.command(`FETCH ${seq} ${items}`);
    assert.deepEqual(fetched(one.text), [lines[seq - 1]]);
  }
  const some = await c.command(`UID FETCH 3,8:12,2000:* (UID FLAGS)`);
  const uids = fetched(some.text).map((l) => Number(/UID (\d+)/.exec(l)![1]));
  const want = [3, 8, 9, 10, 11, 12, ...Array.from({ length: n - 1999 }, (_, i) => 2000 + i)].filter((u) => u % 7 !== 0);
  assert.deepEqual(uids, want);
  c.close();
});

test("a SELECT after a change made elsewhere shows it (a view kept from an earlier SELECT is not reused)", async () => {
  const a = await rawSignedIn(t.imapPort, "bob@example.test");
  assert.equal((await a.command("CREATE Views")).status, "OK");
  await append(a, "Views", "Subject: one\r\n\r\n1\r\n");
  await append(a, "Views", "Subject: two\r\n\r\n2\r\n");
  const first = await a.command("SELECT Views");
  assert.match(first.text, /\* 2 EXISTS\r\n/);
  assert.match(first.text, /\* OK \[UNSEEN 1\]/);
  const b = await rawSignedIn(t.imapPort, "bob@example.test");
  assert.match((await b.command("SELECT Views")).text, /\* 2 EXISTS\r\n/);
  assert.equal((await b.command("STORE 1 +FLAGS.SILENT (\\Seen \\Flagged)")).status, "OK");
  const c = await rawSignedIn(t.imapPort, "bob@example.test");
  const sel = await c.command("SELECT Views");
  assert.match(sel.text, /\* OK \[UNSEEN 2\]/, "the flag set elsewhere counts");
  assert.match((await c.command("FETCH 1 FLAGS")).text, /\* 1 FETCH \(FLAGS \(\\Seen \\Flagged\)\)/);
  await append(b, "Views", "Subject: three\r\n\r\n3\r\n");
  assert.match((await c.command("SELECT Views")).text, /\* 3 EXISTS\r\n/);
  for (const x of [a, b, c]) x.close();
});

test("a one-message FETCH tells what another session changed before it; with nothing changed, only its own answer", async () => {
  const a = await rawSignedIn(t.imapPort, "bob@example.test");
  assert.equal((await a.command("CREATE Told")).status, "OK");
  await append(a, "Told", "Subject: one\r\n\r\n1\r\n");
  await append(a, "Told", "Subject: two\r\n\r\n2\r\n");
  assert.match((await a.command("SELECT Told")).text, /\* 2 EXISTS\r\n/);
  const b = await rawSignedIn(t.imapPort, "bob@example.test");
  assert.equal((await b.command("SELECT Told")).status, "OK");
  assert.equal((await b.command("STORE 1 +FLAGS.SILENT (\\Flagged)")).status, "OK");
  await append(b, "Told", "Subject: three\r\n\r\n3\r\n");
  // The FETCH reads the mailbox's HIGHESTMODSEQ with its row: it has moved, so the changes are told after the answer (RFC 3501 7.4.1).
  const told = await a.command("UID FETCH 2 BODY.PEEK[]");
  assert.equal(told.status, "OK");
  assert.match(told.text, /^\* 2 FETCH \(UID 2 BODY\[\] \{\d+\}\r\nSubject: two\r\n\r\n2\r\n\)\r\n/);
  assert.match(told.text, /\* 1 FETCH \((UID 1 )?FLAGS \((\\Recent )?\\Flagged\)\)\r\n/);
  assert.match(told.text, /\* 3 EXISTS\r\n/);
  // Nothing changed since: the answer alone, the mailbox's row not read again after it.
  const quiet = await a.command("UID FETCH 2 BODY.PEEK[]");
  assert.equal(quiet.text.replace(/^\* 2 FETCH \(UID 2 BODY\[\] \{\d+\}\r\nSubject: two\r\n\r\n2\r\n\)\r\n/, ""), `${quiet.tag} OK FETCH completed\r\n`);
  // A change after that FETCH is told by the next command.
  assert.equal((await b.command("STORE 2 +FLAGS.SILENT (\\Answered)")).status, "OK");
  assert.match((await a.command("UID FETCH 1 BODY.PEEK[]")).text, /\* 2 FETCH \((UID 2 )?FLAGS \((\\Recent )?\\Answered\)\)\r\n/);
  assert.match((await a.command("NOOP")).text, /^[^*]/, "and only once");
  a.close();
  b.close();
});
