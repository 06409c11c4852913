/**
 * Two providers on one machine (test/helpers/providers.ts): mail from a.test (127.0.0.2)
 * to b.test (127.0.0.3) through real MX look-ups on a loopback DNS server, real SMTP with
 * STARTTLS between the engines, bounces as DSNs, retries after the destination was down.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import nodemailer from "nodemailer";
import { startProviders, type Provider, type Providers } from "../helpers/providers";
import { addAlias } from "../../lib/directory";

let p: Providers;
before(async () => {
  // Retries after 1 s, then 2 s...: the "later retry" happens within the test; a delay notice after 2 s.
  p = await startProviders({ env: { QUEUE_RETRY_FIRST_SECONDS: "1", QUEUE_RETRY_MAX_SECONDS: "2", QUEUE_DELAY_NOTICE_SECONDS: "2" } });
});
after(() => p?.stop());

const logOf = (lines: Array<Record<string, unknown>>, event: string, msgId: string) => lines.find((l) => l.event === event && l.msgId === msgId);

test("a.test's user sends to b.test: it arrives in bob's Inbox, leaving A within a second, over STARTTLS from 127.0.0.2", async () => {
  // A first message warms both engines up (loading the database client, the first TLS handshake).
  await p.submit(p.a, { to: "bob@b.test", subject: "warm-up" });
  await p.waitFor(() => p.inboxCount(p.b, "bob@b.test", "warm-up"), (n) => n === 1);
  const id = await p.submit(p.a, { to: "bob@b.test", subject: "hello b" });
  await p.waitFor(() => p.inboxCount(p.b, "bob@b.test", "hello b"), (n) => n === 1);
  const delivered = await p.waitFor(async () => logOf(p.a.logs, "queue.delivered", id), Boolean);
  // From the 250 (the accepted line) to the first byte of the message going out.
  const left = Date.parse(String(logOf(p.a.logs, "queue.sending", id)!.time)) - Date.parse(String(logOf(p.a.logs, "smtp.accepted", id)!.time));
  assert.ok(left < 1000, `left ${left} ms after submission`);
  assert.match(String(delivered!.host), /^mx\.b\.test\[127\.0\.0\.3\]$/);
  assert.match(String(delivered!.tls), /^TLSv1\.[23] unverified/, "STARTTLS was used; B's self-signed certificate does not verify");
  const msg = await p.b.data.db.message.findFirstOrThrow({ where: { account: { email: "bob@b.test" }, subject: "hello b" }, select: { queueId: true } });
  const accepted = logOf(p.b.logs, "smtp.accepted", msg.queueId!);
  assert.equal(accepted?.ip, "127.0.0.2", "A connected from its own address");
  assert.equal(accepted?.from, "alice@a.test");
  const log = await p.a.data.db.deliveryLog.findMany({ where: { queueId: id }, orderBy: { createdAt: "asc" } });
  const ev = log.find((l) => l.event === "delivered" && l.recipient === "bob@b.test");
  assert.ok(ev, JSON.stringify(log));
  assert.match(ev!.detail, /^250 /);
  assert.equal(ev!.remoteHost, "mx.b.test[127.0.0.3]");
  assert.equal(await p.a.data.db.outboundMessage.count({ where: { id } }), 0, "a finished queue entry is removed");
});

test("an unknown recipient at b.test bounces: alice gets a DSN (RFC 3464) in her Inbox", async () => {
  const id = await p.submit(p.a, { to: "nobody@b.test", subject: "to nobody" });
  await p.waitFor(() => p.inboxCount(p.a, "alice@a.test", "Undelivered Mail Returned to Sender"), (n) => n === 1);
  const dsn = await p.a.data.db.message.findFirstOrThrow({ where: { account: { email: "alice@a.test" }, subject: "Undelivered Mail Returned to Sender" }, include: { blob: true } });
  const raw = Buffer.from((await p.a.data.db.blob.findUniqueOrThrow({ where: { hash: dsn.blobHash } })).data!).toString();
  assert.match(raw, /^Return-Path: <>\r\n/);
  assert.match(raw, /Content-Type: multipart\/report; report-type=delivery-status;/);
  assert.match(raw, /Final-Recipient: rfc822; nobody@b\.test\r\nAction: failed\r\nStatus: 5\.1\.1\r\nRemote-MTA: dns; mx\.b\.test\r\nDiagnostic-Code: smtp; 550 5\.1\.1/);
  assert.match(raw, /Content-Type: text\/rfc822-headers\r\n\r\n[\s\S]*Subject: to nobody/);
  // The DSN is stored before the recipient is marked bounced: wait for that row too.
  const log = await p.waitFor(() => p.a.data.db.deliveryLog.findMany({ where: { queueId: id } }), (l) => l.some((x) => x.event === "bounced"));
  assert.ok(log.some((l) => l.event === "failed" && /^550 5\.1\.1/.test(l.detail)));
  assert.ok(log.some((l) => l.event === "bounced" && /DSN \w+ to <alice@a\.test>/.test(l.detail)));
});

test("a domain with a null MX (RFC 7505) bounces at once, without a connection", async () => {
  p.dns.add({ name: "null.test", type: "MX", data: { preference: 0, exchange: "." } });
  const id = await p.submit(p.a, { to: "x@null.test", subject: "to null mx" });
  await p.waitFor(() => p.inboxCount(p.a, "alice@a.test", "Undelivered Mail Returned to Sender"), (n) => n === 2);
  const log = await p.a.data.db.deliveryLog.findMany({ where: { queueId: id } });
  const failed = log.find((l) => l.event === "failed");
  assert.match(failed!.detail, /null MX/);
  assert.equal(failed!.remoteHost, "");
});

test("with b.test down the message is deferred, and delivered on a later retry once it is back", async () => {
  await p.b.stop();
  try {
    const id = await p.submit(p.a, { to: "bob@b.test", subject: "while down" });
    await p.waitFor(async () => logOf(p.a.logs, "queue.deferred", id), Boolean);
    const r = await p.a.data.db.outboundRecipient.findFirstOrThrow({ where: { messageId: id } });
    assert.equal(r.status, "deferred");
    assert.match(r.lastReply, /^4\.4\.1 /);
  } finally {
    await p.b.start();
  }
  await p.waitFor(() => p.inboxCount(p.b, "bob@b.test", "while down"), (n) => n === 1, 20_000);
});

test("a line over 998 octets is re-encoded as quoted-printable on the way out, content intact", async () => {
  const long = "word ".repeat(400).trim(); // 1,999 octets on one line
  const raw = `From: alice@a.test\r\nTo: bob@b.test\r\nSubject: long line\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${long}\r\n`;
  await p.submit(p.a, { to: "bob@b.test", raw });
  await p.waitFor(() => p.inboxCount(p.b, "bob@b.test", "long line"), (n) => n === 1);
  const m = await p.b.data.db.message.findFirstOrThrow({ where: { account: { email: "bob@b.test" }, subject: "long line" } });
  const got = Buffer.from((await p.b.data.db.blob.findUniqueOrThrow({ where: { hash: m.blobHash } })).data!).toString();
  assert.match(got, /Content-Transfer-Encoding: quoted-printable\r\n\r\n/);
  assert.ok(got.split("\r\n").every((l) => l.length <= 998));
  const body = got.slice(got.indexOf("\r\n\r\n") + 4).replace(/=\r\n/g, "");
  assert.equal(body.trim(), long);
});

function mailctl(pr: Provider, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["bin/mailctl.mjs", ...args], { env: { ...process.env, DATA_DIR: pr.data.dataDir, DATABASE_URL: pr.data.config.databaseUrl }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test("mailctl queue trace shows each attempt; queue bounce returns a waiting message to its sender with a DSN", async () => {
  p.dns.add({ name: "down.test", type: "MX", data: { preference: 10, exchange: "mx.down.test" } }, { name: "mx.down.test", type: "A", data: "127.0.0.9" });
  const id = await p.submit(p.a, { to: "someone@down.test", subject: "to a dead host" });
  await p.waitFor(async () => p.a.logs.filter((l) => l.event === "queue.deferred" && l.msgId === id).length, (n) => n >= 2);
  const trace = await mailctl(p.a, ["queue", "trace", id]);
  assert.equal(trace.code, 0, trace.stderr);
  const lines = trace.stdout.trim().split("\n");
  assert.match(lines[0], /received\s+submission from/);
  assert.match(lines[1], /queued\s+<someone@down\.test> for remote delivery/);
  assert.match(lines[2], /deferred\s+<someone@down\.test> \[mx\.down\.test\[127\.0\.0\.9\]\] 4\.4\.1 connection to mx\.down\.test\[127\.0\.0\.9\] failed/);
  const dsns = await p.a.data.db.message.count({ where: { account: { email: "alice@a.test" }, subject: "Undelivered Mail Returned to Sender" } });
  // Still deferred after QUEUE_DELAY_NOTICE_SECONDS: one "delayed" report, and only one.
  // Delay notices about this message (the down-b.test test may have caused one too).
  const isOurs = async () => {
    const rows = await p.a.data.db.message.findMany({ where: { account: { email: "alice@a.test" }, subject: "Delayed Mail (still being retried)" }, select: { blobHash: true } });
    let n = 0;
    for (const r of rows) if (Buffer.from((await p.a.data.db.blob.findUniqueOrThrow({ where: { hash: r.blobHash } })).data!).toString().includes("Final-Recipient: rfc822; someone@down.test")) n++;
    return n;
  };
  await p.waitFor(isOurs, (n) => n === 1);
  await p.waitFor(async () => p.a.logs.filter((l) => l.event === "queue.deferred" && l.msgId === id).length, (n) => n >= 4);
  assert.equal(await isOurs(), 1, "one delay notice, not one per retry");
  const bounced = await mailctl(p.a, ["queue", "bounce", id]);
  assert.equal(bounced.code, 0, bounced.stderr);
  assert.match(bounced.stdout, /1 recipient\(s\) of \w+ will be returned to the sender/);
  await p.waitFor(() => p.inboxCount(p.a, "alice@a.test", "Undelivered Mail Returned to Sender"), (n) => n === dsns + 1);
  const after = await mailctl(p.a, ["queue", "trace", id]);
  assert.match(after.stdout, /bounced\s+<someone@down\.test> 5\.0\.0 returned to the sender by the administrator \(mailctl\); DSN \w+ to <alice@a\.test>/);
  assert.equal((await mailctl(p.a, ["queue", "trace", "NOSUCHID"])).code, 1);
});

test("a bounce for a remote sender goes back through the queue with a null sender; a DSN that bounces gets none", async () => {
  // An alias at a.test forwards to an address b.test does not know; the sender is bob at b.test.
  await addAlias(p.a.data.db, "fwd@a.test", "nobody@b.test", "test");
  const before = await p.inboxCount(p.b, "bob@b.test", "Undelivered Mail Returned to Sender");
  await p.submit(p.b, { to: "fwd@a.test", subject: "to a forward" });
  await p.waitFor(() => p.inboxCount(p.b, "bob@b.test", "Undelivered Mail Returned to Sender"), (n) => n === before + 1);
  // A forwarded with an SRS sender (lib/routing/srs.ts); its DSN goes to that address, which leads back to bob.
  const dsnQueued = p.a.logs.find((l) => l.event === "queue.dsn" && /^SRS0=[^=]+=[^=]+=b\.test=bob@a\.test$/.test(String(l.to)));
  assert.ok(dsnQueued, "A wrote a DSN for bob's SRS address");
  const b = await p.b.data.db.message.findFirstOrThrow({ where: { account: { email: "bob@b.test" }, subject: "Undelivered Mail Returned to Sender" }, orderBy: { internalDate: "desc" } });
  const raw = Buffer.from((await p.b.data.db.blob.findUniqueOrThrow({ where: { hash: b.blobHash } })).data!).toString();
  assert.match(raw, /^Return-Path: <>\r\n/, "sent with a null sender (RFC 3464 2, RFC 5321 4.5.5)");
  assert.match(raw, /Final-Recipient: rfc822; nobody@b\.test/);
  // A sender b.test does not know: the DSN to it bounces too, and gets no DSN of its own.
  const mx = nodemailer.createTransport({ host: p.a.ip, port: p.mxPort, secure: false, tls: { rejectUnauthorized: false } });
  await mx.sendMail({ envelope: { from: "ghost@b.test", to: ["fwd@a.test"] }, raw: "From: ghost@b.test\r\nTo: fwd@a.test\r\nSubject: from a ghost\r\n\r\nboo\r\n" });
  mx.close();
  const bounced = await p.waitFor(
    () => p.a.data.db.deliveryLog.findMany({ where: { event: "bounced", recipient: "ghost@b.test" } }),
    (l) => l.length === 1,
  );
  assert.match(bounced[0].detail, /no DSN \(null sender or a DSN\)/);
});
