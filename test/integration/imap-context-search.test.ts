/**
 * CONTEXT=SEARCH (RFC 5267): SEARCH RETURN (UPDATE) keeps the client's result up to date
 * with unsolicited ESEARCH ADDTO / REMOVEFROM as flags change here or in another session,
 * messages arrive (after their EXISTS) or are expunged (before their EXPUNGE, with the
 * numbers still valid); CANCELUPDATE stops it; a reused tag is BAD; past the limit a search
 * gets NO [NOUPDATE]. PARTIAL returns a window of the result.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestEngine, type TestEngine } from "../helpers/engine";
import { RawImap, rawSignedIn } from "../helpers/imap";

let t: TestEngine;
let c: RawImap;
let other: RawImap;
const lit = (m: string) => `{${Buffer.byteLength(m)}+}\r\n${m}`;

/** NOOPs until `re` shows in what came back (changes made elsewhere arrive through the change feed), with a generous deadline. */
async function noopUntil(re: RegExp): Promise<string> {
  const deadline = Date.now() + 15_000;
  let seen = "";
  while (!re.test(seen) && Date.now() < deadline) {
    seen += (await c.command("NOOP")).text;
    if (!re.test(seen)) await new Promise((r) => setTimeout(r, 100));
  }
  return seen;
}

before(async () => {
  t = await startTestEngine();
  c = await rawSignedIn(t.imapPort, "alice@example.test");
  other = await rawSignedIn(t.imapPort, "alice@example.test");
  assert.equal((await c.command("CREATE Ctx")).status, "OK");
  for (let i = 1; i <= 6; i++) assert.equal((await c.command(`APPEND Ctx ${lit(`Subject: m${i}\r\n\r\nbody ${i % 2 ? "odd" : "even"}\r\n`)}`)).status, "OK");
  assert.match((await c.command("SELECT Ctx")).text, /\* 6 EXISTS/);
  assert.equal((await other.command("SELECT Ctx")).status, "OK");
});
after(async () => {
  c.close();
  other.close();
  await t.stop();
});

test("PARTIAL returns a window of the result, reversed ranges allowed, * and single numbers BAD", async () => {
  assert.match((await c.command("CAPABILITY")).text, / CONTEXT=SEARCH/);
  assert.match((await c.command("SEARCH RETURN (PARTIAL 2:3) ALL")).text, /\* ESEARCH \(TAG "t\d+"\) PARTIAL \(2:3 2:3\)/);
  assert.match((await c.command("SEARCH RETURN (PARTIAL 5:2) BODY odd")).text, /PARTIAL \(2:5 3,5\)/);
  assert.match((await c.command("UID SEARCH RETURN (PARTIAL 7:9 COUNT) ALL")).text, /\) UID COUNT 6 PARTIAL \(7:9 NIL\)/);
  for (const bad of ["PARTIAL 1", "PARTIAL 1:*", "PARTIAL 0:2", "PARTIAL 1:2 ALL"]) assert.equal((await c.command(`SEARCH RETURN (${bad}) ALL`)).status, "BAD", bad);
  assert.equal((await c.command("SORT RETURN (UPDATE) (ARRIVAL) UTF-8 ALL")).status, "BAD", "CONTEXT=SORT is not offered");
});

test("UPDATE: own STORE and another session's STORE give ADDTO / REMOVEFROM with message numbers", async () => {
  const s = await c.command("SEARCH RETURN (UPDATE ALL) FLAGGED");
  assert.match(s.text, /\* ESEARCH \(TAG "(t\d+)"\)\r\n/, "nothing flagged yet: no ALL");
  const tag = s.tag;
  const st = await c.command("STORE 2,4 +FLAGS (\\Flagged)");
  assert.match(st.text, new RegExp(`\\* ESEARCH \\(TAG "${tag}"\\) ADDTO \\(0 2,4\\)\r\n`), st.text);
  // A change made elsewhere is told at the next command (here NOOP).
  assert.equal((await other.command("STORE 2 -FLAGS (\\Flagged)")).status, "OK");
  const seen = await noopUntil(/REMOVEFROM/);
  assert.match(seen, new RegExp(`\\* ESEARCH \\(TAG "${tag}"\\) REMOVEFROM \\(0 2\\)`), seen);
  // RFC 5267 4.3: a tag in use by an updating search cannot be reused for another.
  c.write(`${tag} SEARCH RETURN (UPDATE) ALL\r\n`);
  assert.equal((await c.waitTagged(tag)).status, "BAD");
  assert.equal((await c.command(`CANCELUPDATE "${tag}"`)).status, "OK");
  const after = await c.command("STORE 1 +FLAGS (\\Flagged)");
  assert.doesNotMatch(after.text, new RegExp(`TAG "${tag}"`), "no update after CANCELUPDATE");
  await c.command("STORE 1:* -FLAGS (\\Flagged)");
});

test("UPDATE with UID SEARCH: a new message is added after its EXISTS, an expunged one removed before its EXPUNGE", async () => {
  const s = await c.command("UID SEARCH RETURN (UPDATE) SUBJECT new");
  const tag = s.tag;
  assert.equal((await other.command(`APPEND Ctx ${lit("Subject: new one\r\n\r\nhello\r\n")}`)).status, "OK");
  const seen = await noopUntil(/ADDTO/);
  const exists = seen.indexOf("* 7 EXISTS");
  const addto = seen.search(new RegExp(`\\* ESEARCH \\(TAG "${tag}"\\) UID ADDTO \\(0 7\\)`));
  assert.ok(exists >= 0 && addto > exists, seen);
  const ex = await c.command("STORE 7 +FLAGS.SILENT (\\Deleted)");
  assert.equal(ex.status, "OK");
  const e = await c.command("EXPUNGE");
  const removefrom = e.text.search(new RegExp(`\\* ESEARCH \\(TAG "${tag}"\\) UID REMOVEFROM \\(0 7\\)`));
  assert.ok(removefrom >= 0 && removefrom < e.text.indexOf("* 7 EXPUNGE"), e.text);
  // The contexts end with the selection (RFC 5267 4.3).
  await c.command("SELECT Ctx");
  assert.equal((await other.command(`APPEND Ctx ${lit("Subject: new two\r\n\r\nhello\r\n")}`)).status, "OK");
  const later = await noopUntil(/EXISTS/);
  assert.match(later, /\* 7 EXISTS/);
  assert.doesNotMatch(later, /ESEARCH/);
});

test("past the limit of updating searches a search is answered with NO [NOUPDATE] and not followed", async () => {
  const tags: string[] = [];
  for (let i = 0; i < 8; i++) {
    const r = await c.command("SEARCH RETURN (UPDATE COUNT) ALL");
    assert.doesNotMatch(r.text, /NOUPDATE/);
    tags.push(r.tag);
  }
  const r = await c.command("SEARCH RETURN (UPDATE COUNT) ALL");
  assert.match(r.text, new RegExp(`\\* ESEARCH \\(TAG "${r.tag}"\\) COUNT 7\r\n\\* NO \\[NOUPDATE "${r.tag}"\\]`), r.text);
  assert.equal(r.status, "OK");
  assert.equal((await c.command(`CANCELUPDATE ${tags.map((x) => `"${x}"`).join(" ")}`)).status, "OK");
  assert.doesNotMatch((await c.command("SEARCH RETURN (UPDATE) ALL")).text, /NOUPDATE/);
});
