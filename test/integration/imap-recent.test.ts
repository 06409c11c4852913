/**
 * \Recent (RFC 3501 2.3.2): a message is recent for the first session that has its
 * folder selected read-write when it is told of the message, and for no other; EXAMINE
 * and STATUS show what no session has taken yet without taking it.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestEngine, type TestEngine } from "../helpers/engine";
import { RawImap, rawSignedIn } from "../helpers/imap";

let t: TestEngine;
before(async () => {
  t = await startTestEngine();
});
after(() => t.stop());

const signIn = (user = "alice@example.test") => rawSignedIn(t.imapPort, user);

async function append(c: RawImap, box: string, subject: string): Promise<void> {
  const msg = `Subject: ${subject}\r\n\r\nbody\r\n`;
  assert.equal((await c.command(`APPEND ${box} {${msg.length}+}\r\n${msg}`)).status, "OK");
}

test("the first read-write SELECT takes \\Recent; EXAMINE and STATUS do not", async () => {
  const a = await signIn();
  assert.equal((await a.command("CREATE Rec")).status, "OK");
  await append(a, "Rec", "one");
  await append(a, "Rec", "two");
  assert.match((await a.command("STATUS Rec (RECENT MESSAGES)")).text, /STATUS "Rec" \(RECENT 2 MESSAGES 2\)/);
  const ex = await a.command("EXAMINE Rec");
  assert.match(ex.text, /\* 2 RECENT\r\n/);
  assert.match((await a.command("FETCH 1 FLAGS")).text, /\* 1 FETCH \(FLAGS \(\\Recent\)\)/);
  assert.match((await a.command("SEARCH RECENT")).text, /\* SEARCH 1 2\r\n/);
  assert.equal((await a.command("CLOSE")).status, "OK");

  assert.match((await a.command("SELECT Rec")).text, /\* 2 RECENT\r\n/);
  assert.match((await a.command("SEARCH NEW")).text, /\* SEARCH 1 2\r\n/);
  assert.match((await a.command("SEARCH OLD")).text, /\* SEARCH\r\n/);
  // A second session selecting now gets none of them.
  const b = await signIn();
  assert.match((await b.command("SELECT Rec")).text, /\* 0 RECENT\r\n/);
  assert.match((await b.command("FETCH 1:* FLAGS")).text, /\* 1 FETCH \(FLAGS \(\)\)\r\n\* 2 FETCH \(FLAGS \(\)\)/);
  assert.match((await b.command("SEARCH OLD")).text, /\* SEARCH 1 2\r\n/);
  assert.match((await a.command("STATUS Rec (RECENT)")).text, /RECENT 0/);

  // New mail: whichever selected session hears of it first takes it; the other does not.
  const c = await signIn();
  await append(c, "Rec", "three");
  const noopA = await a.command("NOOP");
  assert.match(noopA.text, /\* 3 EXISTS\r\n\* 3 RECENT\r\n/);
  assert.match((await a.command("FETCH 3 FLAGS")).text, /FLAGS \(\\Recent\)/);
  const noopB = await b.command("NOOP");
  assert.match(noopB.text, /\* 3 EXISTS\r\n/);
  assert.doesNotMatch(noopB.text, /RECENT/);
  assert.match((await b.command("SEARCH RECENT")).text, /\* SEARCH\r\n/);
  for (const x of [a, b, c]) x.close();
});

test("\\Recent cannot be stored", async () => {
  const a = await signIn("bob@example.test");
  await a.command("SELECT INBOX");
  await append(a, "INBOX", "x");
  await a.command("NOOP");
  assert.equal((await a.command("STORE 1 +FLAGS (\\Recent)")).status, "BAD");
  a.close();
});

test("IMAP4rev2 (RFC 9051): no \\Recent or RECENT, ESEARCH for SEARCH, [CLOSED], STATUS DELETED", async () => {
  const a = await signIn("bob@example.test");
  assert.match((await a.command("CAPABILITY")).text, /IMAP4rev1 IMAP4rev2 /);
  assert.match((await a.command("ENABLE IMAP4rev2")).text, /\* ENABLED IMAP4rev2\r\n/);
  assert.equal((await a.command("CREATE Rev2")).status, "OK");
  await append(a, "Rev2", "one");
  const sel = await a.command("SELECT Rev2");
  assert.doesNotMatch(sel.text, /RECENT|\[UNSEEN/);
  assert.match(sel.text, /\* 1 EXISTS/);
  const other = await signIn("bob@example.test");
  await append(other, "Rev2", "two");
  const noop = await a.command("NOOP");
  assert.match(noop.text, /\* 2 EXISTS\r\n/);
  assert.doesNotMatch(noop.text, /RECENT/);
  assert.doesNotMatch((await a.command("FETCH 1:* FLAGS")).text, /\\Recent/);
  assert.match((await a.command("SEARCH ALL")).text, /\* ESEARCH \(TAG "t\d+"\) ALL 1:2\r\n/);
  assert.match((await a.command("UID SEARCH UNSEEN")).text, /\* ESEARCH \(TAG "t\d+"\) UID ALL 1:2\r\n/);
  await a.command("STORE 1 +FLAGS (\\Deleted)");
  assert.match((await a.command("STATUS Rev2 (MESSAGES DELETED)")).text, /\(MESSAGES 2 DELETED 1\)/);
  assert.match((await a.command("SELECT INBOX")).text, /^\* OK \[CLOSED\]/);
  // A rev2 session takes nothing: both messages are still recent for the first rev1 session to select.
  assert.match((await other.command("SELECT Rev2")).text, /\* 2 RECENT\r\n/, "rev2 sessions take no \\Recent from rev1 ones");
  a.close();
  other.close();
});
