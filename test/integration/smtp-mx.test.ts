/** The MX listener: local delivery, relay denial, routing, size, headers, durability. */
import fs from "node:fs";
import path from "node:path";
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import nodemailer from "nodemailer";
import { startTestEngine, type TestEngine } from "../helpers/engine";
import { RawSmtp } from "../helpers/raw-smtp";
import { addAlias, addAccount } from "../../lib/directory";
import { createBlobStore } from "../../lib/store/blob-store";

const MAX = 20_000;
/** Messages above this many bytes are files under DATA_DIR/blobs, smaller ones Blob rows. */
const INLINE_MAX = 4_000;
let t: TestEngine;
before(async () => {
  t = await startTestEngine({ MAX_MESSAGE_SIZE: String(MAX), BLOB_INLINE_MAX: String(INLINE_MAX) });
  await addAlias(t.db, "sales@example.test", "alice@example.test", "test");
  await addAlias(t.db, "team@example.test", "alice@example.test", "test");
  await addAlias(t.db, "team@example.test", "bob@example.test", "test");
  await addAlias(t.db, "forward@example.test", "someone@remote.example", "test");
});
after(() => t.stop());

const mx = () => nodemailer.createTransport({ host: "127.0.0.1", port: t.mxPort, secure: false, tls: { rejectUnauthorized: false } });

async function inbox(email: string) {
  const account = await t.db.account.findUniqueOrThrow({ where: { email } });
  return t.db.message.findMany({ where: { accountId: account.id, mailbox: { name: "INBOX" } }, orderBy: { uid: "asc" } });
}

test("EHLO offers the extensions of the issue and no AUTH", async () => {
  const c = await RawSmtp.connect(t.mxPort);
  const r = await c.command("EHLO client.remote.example");
  assert.equal(r.code, 250);
  for (const ext of ["STARTTLS", `SIZE ${MAX}`, "8BITMIME", "SMTPUTF8", "PIPELINING", "ENHANCEDSTATUSCODES", "DSN"]) {
    assert.ok(r.lines.some((l) => l.slice(4) === ext), `EHLO lacks ${ext}: ${r.text}`);
  }
  assert.ok(!r.lines.some((l) => l.slice(4).startsWith("AUTH")), "MX must not offer AUTH");
  c.close();
});

test("a message for a local user is durable the moment 250 is read, with Return-Path and Received", async () => {
  const c = await RawSmtp.connect(t.mxPort);
  await c.command("EHLO sender.remote.example");
  assert.equal((await c.command("MAIL FROM:<carol@remote.example>")).code, 250);
  assert.equal((await c.command("RCPT TO:<alice@example.test>")).code, 250);
  assert.equal((await c.command("DATA")).code, 354);
  c.write("From: Carol <carol@remote.example>\r\nTo: alice@example.test\r\nSubject: durable\r\nMessage-ID: <d1@remote.example>\r\n\r\nHello Alice\r\n..leading dot\r\n.\r\n");
  const r = await c.read();
  // Check the store before anything else happens: no waiting, no retries.
  const rows = await t.db.message.findMany({ where: { subject: "durable" } });
  assert.match(r.text, /^2\.6\.0 Ok: queued as [0-9A-Z]{12}$/);
  assert.equal(r.code, 250);
  const queueId = r.text.split(" ").pop()!;
  assert.equal(rows.length, 1);
  assert.equal(rows[0].queueId, queueId);
  const blob = await t.db.blob.findUniqueOrThrow({ where: { hash: rows[0].blobHash } });
  assert.ok(blob.data, "a small message's bytes are in its Blob row, committed with it");
  assert.equal(fs.existsSync(path.join(t.dataDir, "blobs", blob.hash.slice(0, 2), blob.hash)), false, "and not also a file");
  const raw = (await createBlobStore(t.config, t.db).get(rows[0].blobHash)).toString();
  assert.match(raw, /^Return-Path: <carol@remote\.example>\r\nReceived: from sender\.remote\.example \(\[127\.0\.0\.1\]\)\r\n\tby mx\.test\.example \(mail-suite\) with ESMTP\r\n\tid [0-9A-Z]{12}; /);
  assert.match(raw, /\r\n\.leading dot\r\n/, "dot-stuffing is undone");
  assert.equal(rows[0].fromAddress, "carol@remote.example");
  assert.equal(rows[0].fromName, "Carol");
  assert.equal(rows[0].uid, (await inbox("alice@example.test")).at(-1)!.uid);
  assert.ok(t.logs.some((l) => l.event === "smtp.accepted" && l.msgId === queueId), "the accepted log line carries the queue id");
  assert.equal(await t.db.deliveryLog.count({ where: { queueId } }), 2, "received + delivered");
  assert.equal((await c.command("QUIT")).code, 221);
  c.close();
});

test("a message above BLOB_INLINE_MAX is a file under DATA_DIR/blobs, on disk when 250 is read", async () => {
  const c = await RawSmtp.connect(t.mxPort);
  await c.command("EHLO sender.remote.example");
  await c.command("MAIL FROM:<carol@remote.example>");
  assert.equal((await c.command("RCPT TO:<alice@example.test>")).code, 250);
  assert.equal((await c.command("DATA")).code, 354);
  const line = "0123456789".repeat(7) + "\r\n";
  c.write(`Subject: large\r\nMessage-ID: <big1@remote.example>\r\n\r\n${line.repeat(Math.ceil((INLINE_MAX * 2) / line.length))}.\r\n`);
  const r = await c.read();
  const rows = await t.db.message.findMany({ where: { subject: "large" }, include: { blob: true } });
  assert.equal(r.code, 250);
  assert.equal(rows.length, 1);
  assert.ok(rows[0].size > INLINE_MAX);
  assert.equal(rows[0].blob.data, null, "a large message's bytes are not in the database");
  const file = path.join(t.dataDir, "blobs", rows[0].blobHash.slice(0, 2), rows[0].blobHash);
  assert.equal(fs.statSync(file).size, rows[0].size);
  assert.equal(fs.readdirSync(path.join(t.dataDir, "blobs", "tmp")).length, 0, "no temporary file is left behind");
  const raw = await createBlobStore(t.config, t.db).get(rows[0].blobHash);
  assert.ok(raw.equals(fs.readFileSync(file)));
  await c.command("QUIT");
  c.close();
});

test("unknown local recipient: 550 5.1.1 at RCPT; non-local recipient: 554 5.7.1 relay denied", async () => {
  const c = await RawSmtp.connect(t.mxPort);
  await c.command("EHLO x.remote.example");
  await c.command("MAIL FROM:<x@remote.example>");
  const unknown = await c.command("RCPT TO:<nobody@example.test>");
  assert.equal(unknown.code, 550);
  assert.match(unknown.text, /^5\.1\.1 /);
  const relay = await c.command("RCPT TO:<victim@elsewhere.example>");
  assert.equal(relay.code, 554);
  assert.match(relay.text, /^5\.7\.1 Relay access denied/);
  const data = await c.command("DATA");
  assert.equal(data.code, 503, "no accepted recipient, no DATA");
  c.close();
  assert.equal(await t.db.outboundMessage.count(), 0, "nothing was queued for relay");
});

test("nodemailer delivers over STARTTLS; plus-addressing, aliases with several destinations", async () => {
  const before = { alice: (await inbox("alice@example.test")).length, bob: (await inbox("bob@example.test")).length };
  const info = await mx().sendMail({
    from: "dave@remote.example",
    to: ["alice+news@example.test", "team@example.test", "sales@example.test"],
    subject: "routing",
    text: "hi",
  });
  assert.match(info.response, /^250 2\.6\.0 Ok: queued as /);
  const alice = await inbox("alice@example.test");
  const bob = await inbox("bob@example.test");
  assert.equal(alice.length, before.alice + 1, "alice gets one copy although three addresses lead to her");
  assert.equal(bob.length, before.bob + 1);
  assert.equal(alice.at(-1)!.blobHash, bob.at(-1)!.blobHash, "one blob for every local recipient");
  const queueId = info.response.split(" ").pop()!;
  const raw = await createBlobStore(t.config, t.db).get(alice.at(-1)!.blobHash);
  assert.match(raw.toString(), new RegExp(`with ESMTPS \\(TLSv1\\.[23] cipher [A-Z0-9_-]+\\)\\r\\n\\tid ${queueId};`));
});

test("catch-all takes unknown local parts once configured", async () => {
  await assert.rejects(mx().sendMail({ from: "e@remote.example", to: "whatever@example.test", subject: "x", text: "x" }), /550 5\.1\.1/);
  await addAlias(t.db, "@example.test", "bob@example.test", "test");
  try {
    const n = (await inbox("bob@example.test")).length;
    await mx().sendMail({ from: "e@remote.example", to: "whatever@example.test", subject: "catch-all", text: "x" });
    const bob = await inbox("bob@example.test");
    assert.equal(bob.length, n + 1);
    assert.equal(bob.at(-1)!.subject, "catch-all");
  } finally {
    await t.db.alias.deleteMany({ where: { address: "@example.test" } });
  }
});

test("an alias to a remote address is queued for forwarding", async () => {
  const info = await mx().sendMail({ from: "f@remote.example", to: "forward@example.test", subject: "fwd", text: "x" });
  const queueId = info.response.split(" ").pop()!;
  const out = await t.db.outboundMessage.findUniqueOrThrow({ where: { id: queueId }, include: { recipients: true } });
  // Rewritten with SRS (lib/routing/srs.ts) so SPF passes at the destination; test/integration/srs.test.ts has the rest.
  assert.match(out.mailFrom, /^SRS0=[A-Z2-7]{6}=[A-Z2-7]{2}=remote\.example=f@example\.test$/);
  assert.deepEqual(out.recipients.map((r) => [r.address, r.status]), [["someone@remote.example", "queued"]]);
});

test("SIZE: 552 5.3.4 at MAIL FROM when declared too big, and during DATA when the data is too big", async () => {
  const c = await RawSmtp.connect(t.mxPort);
  await c.command("EHLO x.remote.example");
  const mail = await c.command(`MAIL FROM:<big@remote.example> SIZE=${MAX + 1}`);
  assert.equal(mail.code, 552);
  assert.match(mail.text, /^5\.3\.4 /);
  assert.equal((await c.command(`MAIL FROM:<big@remote.example> SIZE=${MAX - 100}`)).code, 250);
  assert.equal((await c.command("RCPT TO:<alice@example.test>")).code, 250);
  assert.equal((await c.command("DATA")).code, 354);
  const line = "x".repeat(998) + "\r\n";
  c.write("Subject: too big\r\n\r\n" + line.repeat(Math.ceil((MAX + 2000) / line.length)) + ".\r\n");
  const r = await c.read();
  assert.equal(r.code, 552);
  assert.match(r.text, /^5\.3\.4 /);
  assert.equal(await t.db.message.count({ where: { subject: "too big" } }), 0);
  // The session goes on normally.
  assert.equal((await c.command("RSET")).code, 250);
  c.close();
});

test("a full mailbox answers 452 4.2.2 at RCPT", async () => {
  await addAccount(t.db, { email: "full@example.test", password: "long enough", quotaBytes: 1000 }, "test");
  await t.db.account.update({ where: { email: "full@example.test" }, data: { usedBytes: 1000n } });
  await assert.rejects(mx().sendMail({ from: "g@remote.example", to: "full@example.test", subject: "x", text: "x" }), /452 4\.2\.2/);
});

test("bad recipient syntax and commands out of order get clear codes", async () => {
  const c = await RawSmtp.connect(t.mxPort);
  assert.equal((await c.command("RCPT TO:<alice@example.test>")).code, 503);
  await c.command("EHLO x.remote.example");
  assert.equal((await c.command("MAIL FROM:<a@remote.example>")).code, 250);
  // A path that does not parse is a syntax error in the argument (RFC 5321 4.2.2: 501);
  // 553 is for a well-formed mailbox name that is not allowed. Postfix answers the same.
  const bad = await c.command("RCPT TO:<not an address>");
  assert.equal(bad.code, 501, bad.text);
  assert.match(bad.text, /^5\.1\.3 /);
  const badLocal = await c.command("RCPT TO:<a..b@example.test>");
  assert.equal(badLocal.code, 501, badLocal.text);
  assert.match(badLocal.text, /^5\.1\.3 /);
  assert.equal((await c.command("NOOP")).code, 250);
  c.close();
});

test("the banner names the host once", async () => {
  const { client, greeting } = await RawSmtp.open(t.mxPort);
  assert.equal(greeting.code, 220);
  assert.equal(greeting.text, "mx.test.example ESMTP ready");
  client.close();
});

test("RCPT TO:<Postmaster> without a domain is accepted and delivered to postmaster@ the first domain, else the first admin", async () => {
  await addAccount(t.db, { email: "root@example.test", password: "long enough", admin: true }, "test");
  const send = async (rcpt: string, subject: string) => {
    const c = await RawSmtp.connect(t.mxPort);
    await c.command("EHLO x.remote.example");
    assert.equal((await c.command("MAIL FROM:<h@remote.example>")).code, 250);
    const r = await c.command(`RCPT TO:<${rcpt}>`);
    assert.equal(r.code, 250, `${rcpt}: ${r.code} ${r.text}`);
    assert.equal((await c.command("DATA")).code, 354);
    c.write(`Subject: ${subject}\r\n\r\nhello\r\n.\r\n`);
    assert.equal((await c.read()).code, 250);
    c.close();
  };
  // No postmaster address exists yet: the first admin account receives it.
  await send("Postmaster", "pm-admin");
  assert.equal((await inbox("root@example.test")).at(-1)?.subject, "pm-admin");
  // Once postmaster@ the first domain leads somewhere, that is used.
  await addAlias(t.db, "postmaster@example.test", "bob@example.test", "test");
  try {
    await send("POSTMASTER", "pm-alias");
    assert.equal((await inbox("bob@example.test")).at(-1)?.subject, "pm-alias");
    assert.notEqual((await inbox("root@example.test")).at(-1)?.subject, "pm-alias");
  } finally {
    await t.db.alias.deleteMany({ where: { address: "postmaster@example.test" } });
  }
});

test("unknown MAIL/RCPT parameters and trailing words after the address: 555 5.5.4", async () => {
  const c = await RawSmtp.connect(t.mxPort);
  await c.command("EHLO x.remote.example");
  for (const line of ["MAIL FROM:<a@remote.example> junk", "MAIL FROM:<a@remote.example> XFOO=1", "MAIL FROM:<a@remote.example> MT-PRIORITY=3"]) {
    const r = await c.command(line);
    assert.equal(r.code, 555, `${line}: ${r.code} ${r.text}`);
    assert.match(r.text, /^5\.5\.4 MAIL FROM parameter not recognised/);
  }
  assert.equal((await c.command("MAIL FROM:<a@remote.example> SIZE=100 BODY=8BITMIME")).code, 250, "advertised parameters pass");
  for (const line of ["RCPT TO:<alice@example.test> trailing", "RCPT TO:<alice@example.test> RRVS=2026-01-01T00:00:00Z"]) {
    const r = await c.command(line);
    assert.equal(r.code, 555, `${line}: ${r.code} ${r.text}`);
    assert.match(r.text, /^5\.5\.4 RCPT TO parameter not recognised/);
  }
  assert.equal((await c.command("RCPT TO:<alice@example.test>")).code, 250);
  c.close();
});
