/**
 * IMAP limits and larger messages: a connection that never signs in is closed after
 * IMAP_LOGIN_TIMEOUT_SECONDS; before sign-in literals are small; a new keyword is
 * announced in FLAGS; a 6 MB message (a file blob) comes back byte for byte through
 * BODY[] (read in pieces), partial fetches and imapflow's download.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { startTestEngine, PASSWORD, type TestEngine } from "../helpers/engine";
import { imapflow, RawImap } from "../helpers/imap";

let t: TestEngine;
before(async () => {
  t = await startTestEngine({ IMAP_LOGIN_TIMEOUT_SECONDS: "1" });
});
after(() => t.stop());

test("a connection that does not sign in is closed with BYE after the login timeout", async () => {
  const c = await RawImap.connect(t.imapPort);
  const started = Date.now();
  const text = await c.until(() => c.closed, 5000);
  assert.match(text, /\* BYE/);
  assert.ok(Date.now() - started < 3000);
});

test("before sign-in a large literal is refused; the connection goes on", async () => {
  const c = await RawImap.connect(t.imapPort);
  c.write("a1 LOGIN {100000}\r\n");
  const r = await c.waitTagged("a1");
  assert.match(r.line, /BAD .*literal larger/);
  assert.equal((await c.command(`LOGIN alice@example.test "${PASSWORD}"`)).status, "OK");
  c.close();
});

test("a new keyword is announced with FLAGS to the sessions that have the folder selected", async () => {
  const a = await RawImap.connect(t.imapPort);
  const b = await RawImap.connect(t.imapPort);
  for (const c of [a, b]) await c.command(`LOGIN bob@example.test "${PASSWORD}"`);
  a.write("x APPEND INBOX {20+}\r\nSubject: kw\r\n\r\nbody\r\n\r\n");
  await a.waitTagged("x");
  await a.command("SELECT INBOX");
  await b.command("SELECT INBOX");
  const st = await a.command("STORE 1 +FLAGS ($Label1)");
  assert.match(st.text, /\* FLAGS \([^)]*\$Label1\)/);
  assert.match(st.text, /PERMANENTFLAGS \([^)]*\$Label1 \\\*\)/);
  const noop = await b.command("NOOP");
  assert.match(noop.text, /\* FLAGS \([^)]*\$Label1\)/);
  assert.match(noop.text, /\* 1 FETCH \(UID 1 FLAGS \(\$Label1\)\)/);
  a.close();
  b.close();
});

test("a 6 MB message comes back byte for byte (whole, partial, downloaded part)", async () => {
  const blob = crypto.randomBytes(4.5 * 1024 * 1024).toString("base64").replace(/.{76}/g, "$&\r\n");
  const raw = Buffer.from(
    "Subject: big one\r\nFrom: a@example.test\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n" +
      "--b1\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--b1\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=big.bin\r\n\r\n" +
      blob + "\r\n--b1--\r\n",
  );
  const f = await imapflow(t.imapPort, "alice@example.test");
  try {
    await f.mailboxCreate("Big");
    const r = await f.append("Big", raw);
    assert.ok(r);
    await f.mailboxOpen("Big");
    const m = await f.fetchOne("1", { source: true, size: true, bodyStructure: true });
    assert.ok(m && m.source);
    assert.equal(m.size, raw.length);
    assert.equal(crypto.createHash("sha256").update(m.source).digest("hex"), crypto.createHash("sha256").update(raw).digest("hex"));
    assert.equal(m.bodyStructure?.childNodes?.[1].size, raw.length - raw.indexOf(blob) - "\r\n--b1--\r\n".length);
    const dl = await f.download("1", "2");
    const chunks: Buffer[] = [];
    for await (const ch of dl.content) chunks.push(ch as Buffer);
    assert.deepEqual(Buffer.concat(chunks), Buffer.from(blob, "base64"));
  } finally {
    await f.logout();
  }
  const c = await RawImap.connect(t.imapPort);
  await c.command(`LOGIN alice@example.test "${PASSWORD}"`);
  await c.command("EXAMINE Big");
  const off = 3_000_000;
  const p = await c.command(`FETCH 1 (BODY.PEEK[]<${off}.500000>)`, 20_000);
  const head = `BODY[]<${off}> {500000}\r\n`;
  const at = p.text.indexOf(head);
  assert.ok(at > 0);
  assert.equal(Buffer.from(p.text.slice(at + head.length, at + head.length + 500000), "latin1").toString("latin1"), raw.subarray(off, off + 500000).toString("latin1"));
  c.close();
});
