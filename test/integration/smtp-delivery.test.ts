/**
 * How SMTP delivery meets the store: an account removed between RCPT and DATA gets
 * 550 5.1.1 (the other recipients still get the message), and mail the MIME parser
 * cannot fully summarise (a folded header over 1 MB, 1,000 nested parts, 20,000 parts)
 * is stored with a reduced summary instead of a 451 that would be retried for days.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestEngine, type TestEngine } from "../helpers/engine";
import { RawSmtp } from "../helpers/raw-smtp";
import { addAccount, removeAccount } from "../../lib/directory";

let t: TestEngine;
before(async () => {
  t = await startTestEngine();
});
after(() => t.stop());

async function transaction(rcpts: string[], data: string | Buffer): Promise<{ rcpt: number[]; final: { code: number; text: string } }> {
  const c = await RawSmtp.connect(t.mxPort);
  try {
    await c.command("EHLO client.remote.example");
    await c.command("MAIL FROM:<sender@remote.example>");
    const rcpt: number[] = [];
    for (const r of rcpts) rcpt.push((await c.command(`RCPT TO:<${r}>`)).code);
    await c.command("DATA");
    c.write(data);
    c.write(".\r\n");
    const final = await c.read();
    return { rcpt, final };
  } finally {
    c.close();
  }
}

test("an account removed between RCPT and DATA gets 550 5.1.1; with other recipients they still get it", async () => {
  await addAccount(t.db, { email: "leaving@example.test", password: "long enough" }, "test");
  const c = await RawSmtp.connect(t.mxPort);
  await c.command("EHLO client.remote.example");
  await c.command("MAIL FROM:<sender@remote.example>");
  assert.equal((await c.command("RCPT TO:<leaving@example.test>")).code, 250);
  await removeAccount(t.db, "leaving@example.test", "test");
  await c.command("DATA");
  c.write("Subject: too late\r\n\r\nx\r\n.\r\n");
  const r = await c.read();
  assert.equal(r.code, 550);
  assert.match(r.text, /5\.1\.1/);
  c.close();

  await addAccount(t.db, { email: "leaving2@example.test", password: "long enough" }, "test");
  const c2 = await RawSmtp.connect(t.mxPort);
  await c2.command("EHLO client.remote.example");
  await c2.command("MAIL FROM:<sender@remote.example>");
  assert.equal((await c2.command("RCPT TO:<leaving2@example.test>")).code, 250);
  assert.equal((await c2.command("RCPT TO:<bob@example.test>")).code, 250);
  await removeAccount(t.db, "leaving2@example.test", "test");
  await c2.command("DATA");
  c2.write("Subject: half gone\r\n\r\nx\r\n.\r\n");
  assert.equal((await c2.read()).code, 250);
  c2.close();
  assert.equal(await t.db.message.count({ where: { subject: "half gone" } }), 1, "bob has it");
});

const pathological: Array<[string, () => string]> = [
  ["a folded header over 1 MB", () => `Subject: folded\r\nX-Huge: start\r\n${" continued folded header line with some words\r\n".repeat(24_000)}\r\nbody\r\n`],
  ["1,000 nested multiparts", () => {
    let head = "Subject: nested\r\nMIME-Version: 1.0\r\n";
    let open = "";
    let close = "";
    for (let i = 0; i < 1000; i++) {
      open += `${i === 0 ? "" : `--b${i - 1}\r\n`}Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n`;
      close = `--b${i}--\r\n` + close;
    }
    head += open.slice(0) + "--b999\r\nContent-Type: text/plain\r\n\r\ndeep text\r\n" + close;
    return head;
  }],
  ["20,000 parts", () => {
    let s = `Subject: many parts\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="m"\r\n\r\n`;
    for (let i = 0; i < 20_000; i++) s += `--m\r\nContent-Type: text/plain\r\n\r\npart ${i}\r\n`;
    return s + "--m--\r\n";
  }],
];

for (const [name, make] of pathological) {
  test(`${name}: stored (250), not refused with 451`, { timeout: 60_000 }, async () => {
    const started = Date.now();
    const { final } = await transaction(["alice@example.test"], make());
    assert.equal(final.code, 250, `${name}: ${final.code} ${final.text}`);
    const id = final.text.split(" ").pop()!;
    const row = await t.db.message.findFirstOrThrow({ where: { queueId: id } });
    assert.ok(row.size > 0);
    assert.ok(Date.now() - started < 30_000, "in bounded time");
  });
}

test("the MIME structure is stored once per blob with offsets into the stored bytes, for small and streamed large messages", async () => {
  const { readStructure } = await import("../../lib/store/parse");
  const { attachments, partAt, sectionRange } = await import("../../lib/mime/structure");
  const { partContent } = await import("../../lib/mime/part-body");
  const { createBlobStore } = await import("../../lib/store/blob-store");
  const nodemailer = (await import("nodemailer")).default;
  const smtp = nodemailer.createTransport({ host: "127.0.0.1", port: t.mxPort, secure: false, ignoreTLS: true });
  const blobs = createBlobStore(t.config, t.db);
  for (const [label, size] of [["small", 2_000], ["large", 300_000]] as const) {
    const content = Buffer.from(Array.from({ length: size }, (_, i) => (i * 7) % 251));
    const info = await smtp.sendMail({
      from: "Sender <s@remote.example>",
      to: "alice@example.test",
      subject: `structure ${label}`,
      text: "see attached",
      attachments: [{ filename: "data.bin", content, contentType: "application/octet-stream" }],
    });
    const row = await t.db.message.findFirstOrThrow({ where: { queueId: info.response.split(" ").pop()! } });
    const blob = await t.db.blob.findUniqueOrThrow({ where: { hash: row.blobHash } });
    assert.equal(blob.data === null, label === "large", `${label}: ${label === "large" ? "a file" : "inline"}`);
    const stored = readStructure(blob.structure);
    assert.ok(stored, `${label}: structure stored`);
    assert.equal(stored.envelope.subject, `structure ${label}`);
    assert.match(stored.envelope.from ?? "", /s@remote\.example/);
    const list = attachments(stored.structure);
    assert.deepEqual(list.map((a) => [a.section, a.filename, a.contentType]), [["2", "data.bin", "application/octet-stream"]]);
    const raw = await blobs.get(row.blobHash);
    const part = partAt(stored.structure, "2")!;
    assert.ok(partContent(raw, part)!.equals(content), `${label}: the attachment decodes from its stored offsets`);
    const header = sectionRange(stored.structure, "HEADER")!;
    assert.match(raw.subarray(header.start, header.end).toString(), /^Return-Path: <s@remote\.example>\r\nReceived: /);
  }
  blobs.close();
});
