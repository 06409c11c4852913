/**
 * MULTIAPPEND (RFC 3502): several messages in one APPEND, stored in one transaction (all
 * or none); and a literal never carries a NUL (RFC 3501 9): a binary part fetched with
 * BODY[] comes in base64, BINARY[] gives its bytes back.
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
  assert.equal((await c.command("CREATE Multi")).status, "OK");
});
after(async () => {
  c.close();
  await t.stop();
});

const msg = (n: number, pad = 0) => `Subject: m${n}\r\n\r\n${"x".repeat(pad)}${n}\r\n`;
const lit = (m: string) => `{${m.length}+}\r\n${m}`;

test("MULTIAPPEND stores every message in order with one APPENDUID range", async () => {
  assert.match((await c.command("CAPABILITY")).text, / MULTIAPPEND/);
  const r = await c.command(`APPEND Multi (\\Seen) ${lit(msg(1))} "01-Feb-2026 10:00:00 +0000" ${lit(msg(2))} (\\Flagged) ${lit(msg(3))}`);
  assert.match(r.line, /OK \[APPENDUID \d+ 1:3\]/, r.text);
  await c.command("EXAMINE Multi");
  const f = await c.command("FETCH 1:* (FLAGS INTERNALDATE BODY.PEEK[HEADER.FIELDS (SUBJECT)])");
  assert.match(f.text, /\* 1 FETCH \(FLAGS \([^)]*\\Seen[^)]*\)/);
  assert.match(f.text, /\* 2 FETCH \(FLAGS \([^)]*\) INTERNALDATE "01-Feb-2026 10:00:00 \+0000"/);
  assert.match(f.text, /\* 3 FETCH \(FLAGS \([^)]*\\Flagged/);
  assert.deepEqual([...f.text.matchAll(/Subject: (m\d)/g)].map((m) => m[1]), ["m1", "m2", "m3"]);
  await c.command("UNSELECT");
});

test("MULTIAPPEND is all or none: one message over quota stores none", async () => {
  const account = await t.db.account.findFirstOrThrow({ where: { email: "alice@example.test" } });
  await t.db.account.update({ where: { id: account.id }, data: { quotaBytes: BigInt(account.usedBytes) + 5000n } });
  const r = await c.command(`APPEND Multi ${lit(msg(4))} ${lit(msg(5, 8000))}`);
  assert.equal(r.status, "NO", r.text);
  assert.match((await c.command("STATUS Multi (MESSAGES UIDNEXT)")).text, /MESSAGES 3 UIDNEXT 4/, "nothing of it was stored");
  await t.db.account.update({ where: { id: account.id }, data: { quotaBytes: account.quotaBytes } });
  assert.match((await c.command(`APPEND Nowhere ${lit(msg(6))} ${lit(msg(7))}`)).line, /NO \[TRYCREATE\]/);
  assert.equal((await c.command(`APPEND Multi ${lit(msg(8))} (\\Seen)`)).status, "BAD", "flags without a message after them");
});

test("a binary part: BODY[1] is base64 (no NUL in a literal), BINARY[1] its bytes", async () => {
  const raw = Buffer.concat([Buffer.from("Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n"), Buffer.from([0, 0x2d, 0xe4, 0x0d, 0x0a])]);
  c.write(Buffer.concat([Buffer.from(`a1 APPEND Multi ~{${raw.length}+}\r\n`), raw, Buffer.from("\r\n")]));
  assert.equal((await c.waitTagged("a1")).status, "OK");
  await c.command("EXAMINE Multi");
  const f = await c.command("FETCH 4 (BODY.PEEK[1] BINARY.PEEK[1])");
  const body = /BODY\[1\] \{(\d+)\}\r\n/.exec(f.text)!;
  const text = f.text.slice(body.index + body[0].length, body.index + body[0].length + Number(body[1]));
  assert.equal(Buffer.from(text, "base64").toString("latin1"), "\u0000-\u00e4\r\n");
  assert.ok(!text.includes("\u0000"));
  assert.match(f.text, /BINARY\[1\] ~\{5\}\r\n\u0000-\u00e4\r\n/);
});
