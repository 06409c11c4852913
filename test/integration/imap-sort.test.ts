/** SORT, UID SORT, SORT=DISPLAY and THREAD (RFC 5256, RFC 5957) over a real connection. */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestEngine, type TestEngine } from "../helpers/engine";
import { RawImap, rawSignedIn } from "../helpers/imap";

let t: TestEngine;
let c: RawImap;
before(async () => {
  t = await startTestEngine();
  c = await rawSignedIn(t.imapPort, "alice@example.test");
  assert.equal((await c.command("CREATE Sorted")).status, "OK");
  const msgs = [
    // [internal date, headers, body]
    ["01-Jan-2026 10:00:00 +0000", "From: Zed <b@example.test>\r\nTo: c@example.test\r\nSubject: Re: plans\r\nDate: Thu, 1 Jan 2026 12:00:00 +0000\r\nMessage-ID: <2@x>\r\nReferences: <1@x>", "x".repeat(200)],
    ["02-Jan-2026 10:00:00 +0000", "From: a@example.test\r\nTo: Bea <z@example.test>\r\nSubject: plans\r\nDate: Wed, 31 Dec 2025 12:00:00 +0000\r\nMessage-ID: <1@x>", "x"],
    ["03-Jan-2026 10:00:00 +0000", "From: Amy <c@example.test>\r\nTo: a@example.test\r\nSubject: [list] budget\r\nDate: Fri, 2 Jan 2026 12:00:00 +0000\r\nMessage-ID: <3@x>", "x".repeat(400)],
  ];
  for (const [date, head, body] of msgs) {
    const m = `${head}\r\n\r\n${body}\r\n`;
    assert.equal((await c.command(`APPEND Sorted "${date}" {${m.length}+}\r\n${m}`)).status, "OK");
  }
  assert.equal((await c.command("SELECT Sorted")).status, "OK");
});
after(async () => {
  c.close();
  await t.stop();
});

async function answer(cmd: string, prefix: string): Promise<string> {
  const r = await c.command(cmd);
  assert.equal(r.status, "OK", r.text);
  const m = new RegExp(`^\\* ${prefix}(.*)\\r$`, "m").exec(r.text);
  assert.ok(m, r.text);
  return m[1].trim();
}

test("SORT by each criterion, REVERSE, several criteria, with search keys", async () => {
  assert.match((await c.command("CAPABILITY")).text, /SORT SORT=DISPLAY ESORT THREAD=REFERENCES THREAD=ORDEREDSUBJECT/);
  assert.equal(await answer("SORT (ARRIVAL) UTF-8 ALL", "SORT"), "1 2 3");
  assert.equal(await answer("SORT (REVERSE ARRIVAL) UTF-8 ALL", "SORT"), "3 2 1");
  assert.equal(await answer("SORT (DATE) UTF-8 ALL", "SORT"), "2 1 3");
  assert.equal(await answer("SORT (SIZE) US-ASCII ALL", "SORT"), "2 1 3");
  assert.equal(await answer("SORT (SUBJECT) UTF-8 ALL", "SORT"), "3 1 2", "budget < plans; equal base subjects by number");
  assert.equal(await answer("SORT (SUBJECT REVERSE DATE) UTF-8 ALL", "SORT"), "3 1 2");
  assert.equal(await answer("SORT (FROM) UTF-8 ALL", "SORT"), "2 1 3", "by the address's mailbox: a, b, c");
  assert.equal(await answer("SORT (TO) UTF-8 ALL", "SORT"), "3 1 2");
  assert.equal(await answer("SORT (DISPLAYFROM) UTF-8 ALL", "SORT"), "2 3 1", "a@example.test < Amy < Zed");
  assert.equal(await answer("SORT (DISPLAYTO) UTF-8 ALL", "SORT"), "3 2 1");
  assert.equal(await answer("SORT (ARRIVAL) UTF-8 NOT SUBJECT budget", "SORT"), "1 2");
  assert.equal(await answer("UID SORT (REVERSE SIZE) UTF-8 ALL", "SORT"), "3 1 2");
  assert.equal(await answer("SORT (SIZE) UTF-8 SUBJECT nothing-like-this", "SORT"), "");
  // ESORT (RFC 5267): MIN/MAX in sort order, ALL keeps the order.
  assert.match(await answer("SORT RETURN (MIN MAX COUNT ALL) (REVERSE ARRIVAL) UTF-8 ALL", "ESEARCH"), /^\(TAG "t\d+"\) MIN 3 MAX 1 ALL 3,2,1 COUNT 3$/);
  assert.match(await answer("UID SORT RETURN () (DATE) UTF-8 ALL", "ESEARCH"), /^\(TAG "t\d+"\) UID ALL 2,1,3$/);
  assert.match(await answer("SORT RETURN (COUNT) (DATE) UTF-8 SUBJECT nothing-like-this", "ESEARCH"), /^\(TAG "t\d+"\) COUNT 0$/);
});

test("THREAD REFERENCES and ORDEREDSUBJECT", async () => {
  assert.equal(await answer("THREAD REFERENCES UTF-8 ALL", "THREAD"), "(2 1)(3)");
  assert.equal(await answer("UID THREAD REFERENCES UTF-8 ALL", "THREAD"), "(2 1)(3)");
  assert.equal(await answer("THREAD ORDEREDSUBJECT UTF-8 ALL", "THREAD"), "(2 1)(3)");
  assert.equal(await answer("THREAD ORDEREDSUBJECT UTF-8 SUBJECT budget", "THREAD"), "(3)");
});

test("bad SORT and THREAD arguments are BAD or NO, and the session goes on", async () => {
  assert.equal((await c.command("SORT (NOPE) UTF-8 ALL")).status, "BAD");
  assert.equal((await c.command("SORT () UTF-8 ALL")).status, "BAD");
  assert.equal((await c.command("SORT (DATE)")).status, "BAD");
  assert.match((await c.command("SORT (DATE) KOI8-R ALL")).line, /NO \[BADCHARSET/);
  assert.equal((await c.command("THREAD SIDEWAYS UTF-8 ALL")).status, "BAD");
  assert.equal((await c.command("NOOP")).status, "OK");
});
