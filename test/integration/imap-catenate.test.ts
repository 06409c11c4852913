/**
 * CATENATE (RFC 4469): APPEND builds a message from literals and parts of messages already
 * stored, named by relative IMAP URLs (RFC 5092); a URL that does not resolve (wrong
 * UIDVALIDITY, no such UID, another user's mailbox, an absolute URL) fails the APPEND with
 * NO [BADURL] and stores nothing; a missing target is TRYCREATE before any URL is looked at;
 * a result over MAX_MESSAGE_SIZE is NO [TOOBIG].
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestEngine, type TestEngine } from "../helpers/engine";
import { RawImap, rawSignedIn } from "../helpers/imap";

let t: TestEngine;
let c: RawImap;
let uidValidity = 0;
const lit = (m: string) => `{${Buffer.byteLength(m)}+}\r\n${m}`;
const SOURCE = "From: a@example.test\r\nSubject: source\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nfirst part\r\n--b\r\nContent-Type: text/plain\r\n\r\nsecond part\r\n--b--\r\n";

before(async () => {
  t = await startTestEngine({ MAX_MESSAGE_SIZE: "2000" });
  c = await rawSignedIn(t.imapPort, "alice@example.test");
  assert.equal((await c.command("CREATE Src")).status, "OK");
  assert.equal((await c.command("CREATE Dst")).status, "OK");
  const r = await c.command(`APPEND Src ${lit(SOURCE)}`);
  uidValidity = Number(/APPENDUID (\d+) 1\]/.exec(r.line)![1]);
  assert.equal((await c.command(`APPEND Src ${lit(`Subject: padded\r\n\r\n${"x".repeat(900)}\r\n`)}`)).status, "OK");
});
after(async () => {
  c.close();
  await t.stop();
});

async function bodies(box: string): Promise<string[]> {
  await c.command(`EXAMINE ${box}`);
  const f = await c.command("FETCH 1:* BODY.PEEK[]");
  await c.command("UNSELECT");
  const out: string[] = [];
  for (const m of f.text.matchAll(/BODY\[\] \{(\d+)\}\r\n/g)) out.push(f.text.slice(m.index! + m[0].length, m.index! + m[0].length + Number(m[1])));
  return out;
}

test("CATENATE joins TEXT literals and URL parts (header, part, partial, header fields) into one stored message", async () => {
  assert.match((await c.command("CAPABILITY")).text, / CATENATE/);
  const r = await c.command(
    `APPEND Dst (\\Seen) CATENATE (URL "/Src;UIDVALIDITY=${uidValidity}/;UID=1/;SECTION=HEADER.FIELDS%20(SUBJECT)" TEXT ${lit("> ")} URL "/Src/;UID=1/;section=2" URL "/src/;UID=1/;PARTIAL=0.4")`,
  );
  assert.equal(r.status, "NO", "mailbox names other than INBOX are case-sensitive: /src names nothing");
  assert.match(r.line, /NO \[BADURL \/src\/;UID=1\/;PARTIAL=0\.4\]/, r.line);
  const ok = await c.command(`APPEND Dst (\\Seen) CATENATE (URL "/Src;UIDVALIDITY=${uidValidity}/;UID=1/;SECTION=HEADER.FIELDS%20(SUBJECT)" TEXT ${lit("> ")} URL "/Src/;UID=1/;section=2" URL "/Src/;UID=1/;PARTIAL=0.4")`);
  assert.match(ok.line, /OK \[APPENDUID \d+ 1\]/, ok.text);
  assert.deepEqual(await bodies("Dst"), ["Subject: source\r\n\r\n> second partFrom"]);
  // RFC 4469 3: the source is not marked \Seen by being copied.
  await c.command("EXAMINE Src");
  const flags = await c.command("FETCH 1 FLAGS");
  assert.match(flags.text, /\* 1 FETCH \(FLAGS/);
  assert.doesNotMatch(flags.text, /\\Seen/);
  await c.command("UNSELECT");
});

test("a URL that does not resolve fails the whole APPEND with BADURL and stores nothing", async () => {
  const before = (await bodies("Dst")).length;
  for (const url of [
    `/Src;UIDVALIDITY=${uidValidity + 1}/;UID=1`, // stale UIDVALIDITY
    "/Src/;UID=99", // no such message
    "/Src/;UID=1/;SECTION=7", // no such part
    "imap://alice@localhost/Src/;UID=1", // absolute: outside RFC 4469
    "/Src/;UID=1/;URLAUTH=anonymous:internal:0123", // URLAUTH is not offered
  ]) {
    const r = await c.command(`APPEND Dst CATENATE (TEXT ${lit("X: 1\r\n\r\n")} URL "${url}" TEXT ${lit("tail\r\n")})`);
    assert.equal(r.status, "NO", `${url}: ${r.text}`);
    assert.ok(r.line.includes(`[BADURL ${url}]`), r.line);
  }
  // MULTIAPPEND with CATENATE: one bad URL and neither message is stored.
  const m = await c.command(`APPEND Dst CATENATE (URL "/Src/;UID=1") CATENATE (URL "/Src/;UID=42")`);
  assert.match(m.line, /NO \[BADURL \/Src\/;UID=42\]/);
  assert.equal((await bodies("Dst")).length, before);
});

test("URLs reach only the signed-in user's own mailboxes", async () => {
  const bob = await rawSignedIn(t.imapPort, "bob@example.test");
  assert.equal((await bob.command("CREATE Private")).status, "OK");
  assert.equal((await bob.command(`APPEND Private ${lit("Subject: bob's secret\r\n\r\nsecret\r\n")}`)).status, "OK");
  bob.close();
  const r = await c.command(`APPEND Dst CATENATE (URL "/Private/;UID=1")`);
  assert.match(r.line, /NO \[BADURL \/Private\/;UID=1\]/);
  assert.ok(!(await bodies("Dst")).some((b) => b.includes("secret")));
});

test("a missing target is TRYCREATE even with a bad URL; a result over the size limit is TOOBIG", async () => {
  assert.match((await c.command(`APPEND Nowhere CATENATE (URL "/Src;UIDVALIDITY=1/;UID=1")`)).line, /NO \[TRYCREATE\]/);
  // MAX_MESSAGE_SIZE is 2000 here: three copies of the padded message (about 930 octets each) exceed it.
  assert.equal((await c.command(`APPEND Dst CATENATE (URL "/Src/;UID=2" URL "/Src/;UID=2")`)).status, "OK");
  const big = await c.command(`APPEND Dst CATENATE (URL "/Src/;UID=2" URL "/Src/;UID=2" URL "/Src/;UID=2")`);
  assert.match(big.line, /NO \[TOOBIG\]/, big.text);
  assert.equal((await c.command(`APPEND Dst CATENATE (TEXT "quoted")`)).status, "BAD", "TEXT takes a literal (RFC 4469 5)");
  assert.equal((await c.command(`APPEND Dst CATENATE ()`)).status, "BAD");
});
