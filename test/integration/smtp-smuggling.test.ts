/**
 * SMTP smuggling (CVE-2023-51764 family): bare LF / bare CR, and the end-of-data
 * look-alikes <LF>.<CR><LF>, <CR><LF>.<LF>, <LF>.<LF>, <CR>.<CR>, must never end DATA
 * early nor start a second transaction. Our choice: refuse the whole message with
 * 550 5.6.0 (as Postfix's smtpd_forbid_bare_newline does). Tested over raw sockets.
 */
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { startTestEngine, type TestEngine } from "../helpers/engine";
import { RawSmtp } from "../helpers/raw-smtp";

let t: TestEngine;
before(async () => {
  t = await startTestEngine();
});
after(() => t.stop());

const VARIANTS: Array<[string, string]> = [
  ["<LF>.<CR><LF>", "\n.\r\n"],
  ["<CR><LF>.<LF>", "\r\n.\n"],
  ["<LF>.<LF>", "\n.\n"],
  ["<CR>.<CR>", "\r.\r"],
  ["<CR><LF>.<CR>", "\r\n.\r"],
  ["bare LF", "\n"],
  ["bare CR", "\r"],
];

for (const [name, seq] of VARIANTS) {
  test(`${name} in DATA neither ends the message nor smuggles a second one`, async () => {
    const tag = name.replace(/[^A-Za-z]/g, "");
    const c = await RawSmtp.connect(t.mxPort);
    await c.command("EHLO attacker.remote.example");
    assert.equal((await c.command("MAIL FROM:<attacker@remote.example>")).code, 250);
    assert.equal((await c.command("RCPT TO:<alice@example.test>")).code, 250);
    assert.equal((await c.command("DATA")).code, 354);
    // The whole attack in one write, as a real attacker would pipeline it.
    c.write(
      `From: attacker@remote.example\r\nSubject: outer ${tag}\r\n\r\nfirst part${seq}` +
        `MAIL FROM:<ceo@example.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n` +
        `From: ceo@example.test\r\nSubject: smuggled ${tag}\r\n\r\nsmuggled body\r\n.\r\n`,
    );
    const r = await c.read();
    assert.equal(r.code, 550, `${r.code} ${r.text}`);
    assert.match(r.text, /^5\.6\.0 /);
    // Exactly one reply: the connection is idle, no second transaction answered.
    const noop = await c.command("NOOP");
    assert.equal(noop.code, 250, `the next reply must be NOOP's, got ${noop.code} ${noop.text}`);
    c.close();
    assert.equal(await t.db.message.count({ where: { subject: { contains: tag } } }), 0, "nothing was stored");
  });
}

test("a clean message with dot-stuffed lines passes whole", async () => {
  const c = await RawSmtp.connect(t.mxPort);
  await c.command("EHLO ok.remote.example");
  await c.command("MAIL FROM:<ok@remote.example>");
  await c.command("RCPT TO:<alice@example.test>");
  await c.command("DATA");
  c.write("Subject: clean\r\n\r\nline one\r\n..\r\n...two dots\r\n.\r\n");
  const r = await c.read();
  assert.equal(r.code, 250, r.text);
  const row = await t.db.message.findFirstOrThrow({ where: { subject: "clean" } });
  assert.equal(row.snippet, "line one . ..two dots");
  c.close();
});

test("a terminator split across TCP segments still ends the message exactly once", async () => {
  const c = await RawSmtp.connect(t.mxPort);
  await c.command("EHLO ok.remote.example");
  await c.command("MAIL FROM:<ok@remote.example>");
  await c.command("RCPT TO:<alice@example.test>");
  await c.command("DATA");
  const parts = ["Subject: split\r\n\r\nbody\r", "\n", ".", "\r", "\n"];
  for (const p of parts) {
    c.write(p);
    await new Promise((r) => setTimeout(r, 30));
  }
  const r = await c.read();
  assert.equal(r.code, 250, r.text);
  assert.equal((await c.command("NOOP")).code, 250);
  c.close();
  assert.equal(await t.db.message.count({ where: { subject: "split" } }), 1);
});
