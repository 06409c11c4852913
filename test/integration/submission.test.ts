/** Submission (587 STARTTLS, 465 implicit TLS): AUTH, sender ownership, local and remote recipients. */
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { spawnSync, execFile } from "node:child_process";
import { promisify } from "node:util";
import nodemailer from "nodemailer";
import { startTestEngine, PASSWORD, type TestEngine } from "../helpers/engine";
import { RawSmtp, authPlain } from "../helpers/raw-smtp";
import { addAlias } from "../../lib/directory";
import { createBlobStore } from "../../lib/store/blob-store";

let t: TestEngine;
before(async () => {
  t = await startTestEngine();
  await addAlias(t.db, "billing@example.test", "bob@example.test", "test");
});
after(() => t.stop());

const submission = (user = "bob@example.test", pass = PASSWORD, method?: string) =>
  nodemailer.createTransport({ host: "127.0.0.1", port: t.submissionPort, secure: false, requireTLS: true, auth: { user, pass }, authMethod: method, tls: { rejectUnauthorized: false } });
const submissions = (user = "bob@example.test", pass = PASSWORD) =>
  nodemailer.createTransport({ host: "127.0.0.1", port: t.submissionsPort, secure: true, auth: { user, pass }, tls: { rejectUnauthorized: false } });

async function inbox(email: string) {
  return t.db.message.findMany({ where: { account: { email }, mailbox: { name: "INBOX" } }, orderBy: { uid: "asc" } });
}

test("587 offers AUTH only after STARTTLS, refuses AUTH in clear text and MAIL before AUTH", async () => {
  const c = await RawSmtp.connect(t.submissionPort);
  const ehlo = await c.command("EHLO laptop");
  assert.ok(ehlo.lines.some((l) => l.endsWith("STARTTLS")));
  assert.ok(!ehlo.lines.some((l) => l.slice(4).startsWith("AUTH")), "no AUTH before TLS");
  const clear = await c.command(`AUTH PLAIN ${authPlain("bob@example.test", PASSWORD)}`);
  assert.equal(clear.code, 530, "RFC 3207 4: AUTH in clear text is refused");
  assert.equal(clear.text, "5.7.0 Must issue a STARTTLS command first");
  const mail = await c.command("MAIL FROM:<bob@example.test>");
  assert.equal(mail.code, 530);
  assert.match(mail.text, /^5\.7\.0 /);
  await c.startTls();
  const ehlo2 = await c.command("EHLO laptop");
  assert.ok(ehlo2.lines.some((l) => l.slice(4) === "AUTH PLAIN LOGIN"), ehlo2.text);
  const mail2 = await c.command("MAIL FROM:<bob@example.test>");
  assert.equal(mail2.code, 530, "still no MAIL before AUTH");
  const bad = await c.command(`AUTH PLAIN ${authPlain("bob@example.test", "wrong password")}`);
  assert.equal(bad.code, 535);
  assert.match(bad.text, /^5\.7\.8 /);
  const ok = await c.command(`AUTH PLAIN ${authPlain("bob@example.test", PASSWORD)}`);
  assert.equal(ok.code, 235);
  assert.equal((await c.command("MAIL FROM:<bob@example.test>")).code, 250);
  c.close();
});

test("AUTH PLAIN and LOGIN on 587, and 465 with implicit TLS, deliver to a local user at once", async () => {
  for (const [name, transport] of [
    ["587 PLAIN", submission(undefined, undefined, "PLAIN")],
    ["587 LOGIN", submission(undefined, undefined, "LOGIN")],
    ["465", submissions()],
  ] as const) {
    const info = await transport.sendMail({ from: "Bob <bob@example.test>", to: "alice@example.test", subject: `via ${name}`, text: "hello" });
    assert.match(info.response, /^250 2\.6\.0 Ok: queued as [0-9A-Z]{12}$/, name);
    const last = (await inbox("alice@example.test")).at(-1)!;
    assert.equal(last.subject, `via ${name}`);
    const raw = (await createBlobStore(t.config, t.db).get(last.blobHash)).toString();
    assert.match(raw, /with ESMTPSA \(TLSv1\.[23]/, "the Received header records TLS and authentication");
  }
});

test("remote recipients go to the outbound queue; local ones are delivered", async () => {
  const info = await submission().sendMail({ from: "bob@example.test", to: ["alice@example.test", "Carol <carol@remote.example>"], cc: "dave@other.example", subject: "mixed", text: "x" });
  const queueId = info.response.split(" ").pop()!;
  assert.equal((await inbox("alice@example.test")).at(-1)!.subject, "mixed");
  const out = await t.db.outboundMessage.findUniqueOrThrow({ where: { id: queueId }, include: { recipients: { orderBy: { address: "asc" } } } });
  assert.equal(out.mailFrom, "bob@example.test");
  assert.deepEqual(out.recipients.map((r) => [r.address, r.domain, r.status]), [
    ["carol@remote.example", "remote.example", "queued"],
    ["dave@other.example", "other.example", "queued"],
  ]);
  // One blob serves both copies: the queue sends it from bodyOffset, past the local copy's Return-Path.
  const stored = (await createBlobStore(t.config, t.db).get(out.blobHash)).toString();
  assert.ok(stored.startsWith("Return-Path: <bob@example.test>\r\n"));
  const raw = stored.slice(out.bodyOffset);
  assert.equal(out.size, Buffer.byteLength(raw), "the queued size is what will be sent");
  assert.ok(!raw.startsWith("Return-Path:"), "the outbound copy carries no Return-Path");
  assert.match(raw, /^Received: /);
});

test("sending as someone else: 553 5.7.1 for MAIL FROM and for the From header; an alias of one's own is fine", async () => {
  await assert.rejects(submission().sendMail({ envelope: { from: "alice@example.test", to: "alice@example.test" }, from: "bob@example.test", subject: "x", text: "x" }), /553 5\.7\.1/);
  await assert.rejects(submission().sendMail({ envelope: { from: "bob@example.test", to: "alice@example.test" }, from: "alice@example.test", subject: "x", text: "x" }), /553 5\.7\.1/);
  await assert.rejects(submission().sendMail({ envelope: { from: "bob@example.test", to: "alice@example.test" }, from: "ceo@bank.example", subject: "x", text: "x" }), /553 5\.7\.1/);
  const info = await submission().sendMail({ from: "Billing <billing@example.test>", to: "alice@example.test", subject: "from alias", text: "x" });
  assert.match(info.response, /^250 /);
  await submission().sendMail({ from: "bob+tag@example.test", to: "alice@example.test", subject: "from plus", text: "x" });
  assert.equal(await t.db.message.count({ where: { subject: { in: ["from alias", "from plus"] } } }), 2);
});

test("the submission server adds a missing Date and Message-ID", async () => {
  const c = await RawSmtp.connect(t.submissionsPort, { tls: true });
  await c.command("EHLO laptop");
  assert.equal((await c.command(`AUTH PLAIN ${authPlain("bob@example.test", PASSWORD)}`)).code, 235);
  await c.command("MAIL FROM:<bob@example.test>");
  await c.command("RCPT TO:<alice@example.test>");
  await c.command("DATA");
  c.write("From: bob@example.test\r\nTo: alice@example.test\r\nSubject: bare headers\r\n\r\nx\r\n.\r\n");
  assert.equal((await c.read()).code, 250);
  c.close();
  const row = await t.db.message.findFirstOrThrow({ where: { subject: "bare headers" } });
  assert.match(row.messageIdHeader, /^<[0-9a-f-]+@mx\.test\.example>$/);
  assert.ok(row.sentDate);
});

test("Python's smtplib submits over STARTTLS with AUTH LOGIN", { skip: spawnSync("python3", ["--version"]).status !== 0 && "python3 missing" }, async () => {
  const script = `
import smtplib, ssl, sys
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10)
s.starttls(context=ctx)
s.login("bob@example.test", sys.argv[2])
refused = s.sendmail("bob@example.test", ["alice@example.test"], b"From: bob@example.test\\r\\nTo: alice@example.test\\r\\nSubject: from python\\r\\n\\r\\nhi\\r\\n")
print("refused", refused)
s.quit()
`;
  // Asynchronous: the engine runs in this process and must keep answering.
  const r = await promisify(execFile)("python3", ["-c", script, String(t.submissionPort), PASSWORD], { encoding: "utf8", timeout: 30_000 });
  assert.match(r.stdout, /refused \{\}/, r.stderr);
  assert.equal(await t.db.message.count({ where: { subject: "from python" } }), 1);
});

test("AUTH PLAIN with an authorisation identity the user may not act as: 535 5.7.8 (RFC 4616 2); one's own is fine", async () => {
  const plain = (authzid: string, authcid: string) => Buffer.from(`${authzid}\0${authcid}\0${PASSWORD}`).toString("base64");
  const c = await RawSmtp.connect(t.submissionsPort, { tls: true });
  await c.command("EHLO laptop");
  const other = await c.command(`AUTH PLAIN ${plain("alice@example.test", "bob@example.test")}`);
  assert.equal(other.code, 535);
  assert.match(other.text, /^5\.7\.8 .*bob@example\.test may not act as alice@example\.test/);
  assert.ok(t.logs.some((l) => l.event === "smtp.auth_failed" && l.reason === "authzid" && l.authzid === "alice@example.test"));
  assert.equal((await c.command("MAIL FROM:<alice@example.test>")).code, 530, "still not signed in");
  const own = await c.command(`AUTH PLAIN ${plain("Bob@example.test", "bob@example.test")}`);
  assert.equal(own.code, 235, own.text);
  c.close();
});

test("the author fields are parsed, not prefix-matched: forged From lines are refused at the end of DATA", async () => {
  const c = await RawSmtp.connect(t.submissionsPort, { tls: true });
  await c.command("EHLO laptop");
  assert.equal((await c.command(`AUTH PLAIN ${authPlain("bob@example.test", PASSWORD)}`)).code, 235);
  const send = async (headers: string) => {
    assert.equal((await c.command("MAIL FROM:<bob@example.test>")).code, 250);
    assert.equal((await c.command("RCPT TO:<alice@example.test>")).code, 250);
    assert.equal((await c.command("DATA")).code, 354);
    c.write(`${headers}To: alice@example.test\r\nSubject: forged\r\n\r\nbody\r\n.\r\n`);
    return c.read();
  };
  const cases: Array<[string, number, RegExp]> = [
    ["From : ceo@example.test\r\nFrom: bob@example.test\r\n", 550, /^5\.6\.0 Message has 2 From fields/],
    ["From: =?utf-8?B?YWxpY2VAZXhhbXBsZS50ZXN0?=\r\n", 550, /^5\.6\.0 From: an encoded word that decodes to the address alice@example\.test/],
    ["From: Alice Liddell\r\n", 550, /^5\.6\.0 From: "Alice Liddell" has no address/],
    ["From: Undisclosed:;\r\n", 550, /^5\.6\.0 From: a group/],
    ['From: "alice@example.test" <bob@example.test>\r\n', 553, /^5\.7\.1 From display name shows the address alice@example\.test/],
    ["From: bob@example.test\r\nSender: alice@example.test\r\n", 553, /^5\.7\.1 Sender address <alice@example\.test> is not yours to send as \(bob@example\.test\)/],
    ["From: bob@example.test\r\nResent-From: alice@example.test\r\n", 553, /^5\.7\.1 Resent-From address/],
    ["From: bob@example.test\r\nX Bad: y\r\n", 550, /^5\.6\.0 Malformed header line/],
  ];
  for (const [headers, code, text] of cases) {
    const r = await send(headers);
    assert.equal(r.code, code, `${JSON.stringify(headers)}: ${r.code} ${r.text}`);
    assert.match(r.text, text);
  }
  assert.equal(await t.db.message.count({ where: { subject: "forged" } }), 0, "none was delivered");
  assert.ok(t.logs.some((l) => l.event === "smtp.rejected" && l.reason === "sender headers"));
  const good = await send("From: =?utf-8?Q?B=C3=B6b?= <bob@example.test>\r\n");
  assert.equal(good.code, 250, good.text);
  c.close();
});
