/**
 * SEARCH string keys as RFC 3501 6.4.4 words them, over a real connection: FROM/TO/CC
 * find every address of the field and a group's name; TEXT/BODY find substrings (inside
 * a word, across words, in any header field's value for TEXT).
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestEngine, type TestEngine } from "../helpers/engine";
import { RawImap, rawSignedIn } from "../helpers/imap";

let t: TestEngine;
let c: RawImap;
before(async () => {
  t = await startTestEngine();
  c = await rawSignedIn(t.imapPort, "alice@example.test");
  assert.equal((await c.command("CREATE Strings")).status, "OK");
  const msgs = [
    "From: first@example.test, second-from@example.test\r\nCc: copy@example.test\r\nSubject: one\r\n\r\nThe quarterly budget meeting.\r\n",
    "From: Real <real@example.test>\r\nTo: team-list: member1@example.test, member2@example.test;, other-group: m3@example.test;\r\nX-Tracking: zanzibar42\r\nSubject: two\r\n\r\nNothing here.\r\n",
  ];
  for (const m of msgs) assert.equal((await c.command(`APPEND Strings {${m.length}+}\r\n${m}`)).status, "OK");
  assert.equal((await c.command("SELECT Strings")).status, "OK");
});
after(async () => {
  c.close();
  await t.stop();
});

async function found(keys: string): Promise<string> {
  const r = await c.command(`SEARCH ${keys}`);
  assert.equal(r.status, "OK", r.text);
  return /^\* SEARCH(.*)\r$/m.exec(r.text)![1].trim();
}

test("FROM, TO and CC: every address of the field and group names", async () => {
  assert.equal(await found("FROM first"), "1");
  assert.equal(await found("FROM second-from"), "1", "the second From address");
  assert.equal(await found("TO team-list"), "2", "a group's name");
  assert.equal(await found("TO other-group"), "2");
  assert.equal(await found("TO member2"), "2");
  assert.equal(await found("CC copy@"), "1");
  assert.equal(await found("FROM nobody-like-this"), "");
});

test("TEXT and BODY: substrings, and TEXT in any header field", async () => {
  assert.equal(await found("BODY uarterl"), "1", "inside a word");
  assert.equal(await found('BODY "budget meet"'), "1", "across words");
  assert.equal(await found('BODY "meeting budget"'), "", "another order is another string");
  assert.equal(await found("TEXT zanzibar"), "2", "a header field without a column");
  assert.equal(await found("BODY zanzibar"), "", "BODY is the body only");
  assert.equal(await found("TEXT anzib"), "2");
});
