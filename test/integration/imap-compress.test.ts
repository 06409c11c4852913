/**
 * COMPRESS=DEFLATE (RFC 4978) with a raw deflate peer (node:zlib) over plain TCP and over
 * TLS, and with imapflow (which turns it on by itself when offered).
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import zlib from "node:zlib";
import { startTestEngine, PASSWORD, type TestEngine } from "../helpers/engine";
import { RawImap, imapflow } from "../helpers/imap";

let t: TestEngine;
before(async () => {
  t = await startTestEngine();
});
after(() => t.stop());

/** A client side of RFC 4978: deflates what it sends (sync flush per command), inflates what it reads. */
async function compressed(c: RawImap) {
  const r = await c.command("COMPRESS DEFLATE");
  assert.match(r.line, /OK/);
  const deflate = zlib.createDeflateRaw();
  const inflate = zlib.createInflateRaw();
  let text = "";
  c.socket.removeAllListeners("data");
  c.socket.on("data", (d: Buffer) => inflate.write(d));
  inflate.on("data", (d: Buffer) => (text += d.toString("latin1")));
  deflate.on("data", (d: Buffer) => c.socket.write(d));
  let n = 0;
  return async (command: string | Buffer): Promise<string> => {
    const tag = `z${++n}`;
    deflate.write(Buffer.concat([Buffer.from(`${tag} `), Buffer.from(command), Buffer.from("\r\n")]));
    deflate.flush(zlib.constants.Z_SYNC_FLUSH);
    const re = new RegExp(`(^|\\r\\n)${tag} (OK|NO|BAD)[^\\r\\n]*\\r\\n`);
    for (let i = 0; i < 500 && !re.test(text); i++) await new Promise((res) => setTimeout(res, 10));
    const out = text;
    text = "";
    assert.match(out, re, `no answer to ${tag}: ${JSON.stringify(out)}`);
    return out;
  };
}

for (const secure of [false, true]) {
  test(`COMPRESS DEFLATE over ${secure ? "TLS" : "plain TCP"}: commands and a large literal both ways`, async () => {
    const c = await RawImap.connect(secure ? t.imapsPort : t.imapPort, { secure });
    assert.doesNotMatch((await c.command("CAPABILITY")).text, /COMPRESS=DEFLATE/, "offered after sign-in");
    assert.equal((await c.command(`LOGIN bob@example.test "${PASSWORD}"`)).status, "OK");
    assert.match((await c.command("CAPABILITY")).text, /COMPRESS=DEFLATE/);
    assert.equal((await c.command("COMPRESS LZ4")).status, "BAD");
    const z = await compressed(c);
    assert.match(await z("CAPABILITY"), /\* CAPABILITY .*\r\n/);
    assert.match(await z("COMPRESS DEFLATE"), /NO \[COMPRESSIONACTIVE\]/);
    const box = secure ? "ZipTls" : "Zip";
    assert.match(await z(`CREATE ${box}`), /OK/);
    const body = "line of text that compresses well\r\n".repeat(20_000);
    const msg = `Subject: big\r\n\r\n${body}`;
    assert.match(await z(`APPEND ${box} {${msg.length}+}\r\n${msg}`), /OK \[APPENDUID/);
    assert.match(await z(`SELECT ${box}`), /\* 1 EXISTS/);
    const f = await z("FETCH 1 (BODY.PEEK[TEXT])");
    assert.ok(f.includes(`BODY[TEXT] {${body.length}}\r\n${body})`), "the body came back whole");
    assert.match(await z("LOGOUT"), /\* BYE/);
    c.close();
  });
}

test("imapflow uses COMPRESS when offered, and reads and writes through it", async () => {
  const f = await imapflow(t.imapPort, "alice@example.test");
  try {
    assert.ok((f as unknown as { _deflate?: unknown })._deflate, "imapflow negotiated COMPRESS=DEFLATE");
    await f.mailboxCreate("ZipFlow");
    await f.append("ZipFlow", "Subject: via flow\r\n\r\nhello\r\n");
    await f.mailboxOpen("ZipFlow");
    const m = await f.fetchOne("1", { envelope: true, source: true });
    assert.ok(m && m.envelope?.subject === "via flow");
    assert.ok(m.source?.toString().includes("hello"));
    const logs = t.logs.filter((l) => l.event === "imap.error");
    assert.equal(logs.length, 0);
  } finally {
    await f.logout();
  }
});
