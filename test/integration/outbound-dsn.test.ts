/**
 * Delivery status notifications requested with the DSN extension (RFC 3461), end to end
 * between the two providers (test/helpers/providers.ts) and two recording next hops on
 * loopback: nodsn.test (127.0.0.4, no DSN offered) and dsn.test (127.0.0.5, DSN offered).
 * Clients: Python's smtplib (test/tools/smtp-dsn.py), nodemailer, raw sockets.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { SMTPServer } from "smtp-server";
import { startProviders, PASSWORD, type Provider, type Providers } from "../helpers/providers";
import { RawSmtp } from "../helpers/raw-smtp";
import { addAlias } from "../../lib/directory";

const run = promisify(execFile);

interface Received {
  mailArgs: Record<string, unknown>;
  rcpts: Array<{ address: string; args: Record<string, unknown> }>;
  data: string;
}

interface Sink {
  got: Received[];
  close(): Promise<void>;
}

/** A next hop that records each transaction's parameters; `offerDsn` decides whether EHLO lists DSN. */
async function startSink(ip: string, port: number, offerDsn: boolean): Promise<Sink> {
  const got: Received[] = [];
  const server = new SMTPServer({
    disabledCommands: ["STARTTLS", "AUTH"],
    authOptional: true,
    hideDSN: !offerDsn,
    logger: false,
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const from = session.envelope.mailFrom;
        got.push({
          mailArgs: (from && from.args) || {},
          rcpts: session.envelope.rcptTo.map((r) => ({ address: r.address, args: (r.args as Record<string, unknown>) || {} })),
          data: Buffer.concat(chunks).toString(),
        });
        cb(null, "2.0.0 taken");
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.server.once("error", reject);
    server.listen(port, ip, () => resolve());
  });
  return { got, close: () => new Promise<void>((r) => server.close(() => r())) };
}

let p: Providers;
let noDsn: Sink;
let withDsn: Sink;
before(async () => {
  // A delay notice is due after 1 s (the NOTIFY=DELAY test); nothing else here waits that long.
  p = await startProviders({ env: { QUEUE_RETRY_FIRST_SECONDS: "1", QUEUE_RETRY_MAX_SECONDS: "1", QUEUE_DELAY_NOTICE_SECONDS: "1" } });
  p.dns.add(
    { name: "nodsn.test", type: "MX", data: { preference: 10, exchange: "mx.nodsn.test" } },
    { name: "mx.nodsn.test", type: "A", data: "127.0.0.4" },
    { name: "dsn.test", type: "MX", data: { preference: 10, exchange: "mx.dsn.test" } },
    { name: "mx.dsn.test", type: "A", data: "127.0.0.5" },
    // Nothing listens there: every attempt is deferred.
    { name: "down.test", type: "MX", data: { preference: 10, exchange: "mx.down.test" } },
    { name: "mx.down.test", type: "A", data: "127.0.0.9" },
  );
  noDsn = await startSink("127.0.0.4", p.mxPort, false);
  withDsn = await startSink("127.0.0.5", p.mxPort, true);
});
after(async () => {
  await p?.stop();
  await noDsn?.close();
  await withDsn?.close();
});

/** The raw reports in the user's Inbox with this subject that contain `marker`. */
async function reports(pr: Provider, email: string, subject: string, marker: string): Promise<string[]> {
  const rows = await pr.data.db.message.findMany({ where: { account: { email }, mailbox: { name: "INBOX" }, subject }, select: { blobHash: true } });
  const out: string[] = [];
  for (const r of rows) {
    const raw = Buffer.from((await pr.data.db.blob.findUniqueOrThrow({ where: { hash: r.blobHash } })).data!).toString();
    if (raw.includes(marker)) out.push(raw);
  }
  return out;
}

const FAILED = "Undelivered Mail Returned to Sender";
const SUCCESS = "Successful Mail Delivery Report";

async function smtplib(spec: Record<string, unknown>): Promise<{ dsn: boolean; replies: Array<[string, number, string]>; refused?: Record<string, [number, string]>; sent?: boolean; sender_refused?: [number, string] }> {
  const { stdout } = await run("python3", ["test/tools/smtp-dsn.py", JSON.stringify(spec)], { timeout: 60_000 });
  return JSON.parse(stdout);
}

const asAlice = () => ({ host: p.a.ip, port: p.a.submissionPort, user: "alice@a.test", password: PASSWORD, sender: "alice@a.test" });

test("smtplib: NOTIFY=SUCCESS,FAILURE, ORCPT, ENVID and RET=HDRS to an unknown remote recipient: the DSN echoes ENVID and Original-Recipient and returns only the header", async () => {
  const out = await smtplib({
    ...asAlice(),
    recipients: ["nobody@b.test"],
    mail_options: ["RET=HDRS", "ENVID=QQ314159+2Bpy"],
    rcpt_options: ["NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;Original+2Bx@b.test"],
    message: "From: alice@a.test\r\nTo: nobody@b.test\r\nSubject: python dsn\r\n\r\nsecret body line\r\n",
  });
  assert.equal(out.dsn, true, "submission advertises DSN");
  assert.equal(out.sent, true, JSON.stringify(out));
  const [dsn] = await p.waitFor(() => reports(p.a, "alice@a.test", FAILED, "QQ314159+py"), (r) => r.length === 1);
  assert.match(dsn, /Original-Envelope-Id: QQ314159\+py\r\n/);
  assert.match(dsn, /Final-Recipient: rfc822; nobody@b\.test\r\nOriginal-Recipient: rfc822;Original\+x@b\.test\r\nAction: failed\r\nStatus: 5\.1\.1\r\n/);
  assert.match(dsn, /Content-Type: text\/rfc822-headers\r\n\r\n[\s\S]*Subject: python dsn/);
  assert.doesNotMatch(dsn, /secret body line/, "RET=HDRS: the header section only");
  assert.equal((await reports(p.a, "alice@a.test", SUCCESS, "QQ314159+py")).length, 0, "a refused recipient gets no success report");
});

test("RET=FULL returns the whole message in a failure report; NOTIFY=NEVER sends none", async () => {
  await p.submit(p.a, { to: "nobody@b.test", subject: "full return", text: "the full body\n", dsn: { ret: "FULL", envid: "ENV-FULL", notify: "FAILURE" } });
  const [full] = await p.waitFor(() => reports(p.a, "alice@a.test", FAILED, "ENV-FULL"), (r) => r.length === 1);
  assert.match(full, /Content-Type: message\/rfc822\r\n\r\n[\s\S]*Subject: full return[\s\S]*the full body/);
  const id = await p.submit(p.a, { to: "nobody@b.test", subject: "never notify", dsn: { envid: "ENV-NEVER", notify: "NEVER" } });
  const bounced = await p.waitFor(() => p.a.data.db.deliveryLog.findMany({ where: { queueId: id, event: "bounced" } }), (l) => l.length === 1);
  assert.match(bounced[0].detail, /^550 5\.1\.1 .*; no DSN \(NOTIFY\)$/);
  assert.equal((await reports(p.a, "alice@a.test", FAILED, "ENV-NEVER")).length, 0);
  assert.ok(!p.a.logs.some((l) => l.event === "queue.dsn" && l.msgId === id), "no DSN was written");
});

test("a delay notice only when NOTIFY has DELAY: NOTIFY=FAILURE waits in silence", async () => {
  const withDelay = await p.submit(p.a, { to: "x@down.test", subject: "delay wanted", dsn: { envid: "ENV-DELAY", notify: "DELAY,FAILURE" } });
  const without = await p.submit(p.a, { to: "y@down.test", subject: "delay not wanted", dsn: { envid: "ENV-NODELAY", notify: "FAILURE" } });
  try {
    const [notice] = await p.waitFor(() => reports(p.a, "alice@a.test", "Delayed Mail (still being retried)", "ENV-DELAY"), (r) => r.length === 1, 30_000);
    assert.match(notice, /Final-Recipient: rfc822; x@down\.test\r\nAction: delayed\r\nStatus: 4\.4\.1\r\n/);
    // Deferred again and again past the notice time: chances enough for a notice it must not get.
    await p.waitFor(() => p.a.data.db.deliveryLog.count({ where: { queueId: without, event: "deferred" } }), (n) => n >= 3, 30_000);
    assert.equal((await reports(p.a, "alice@a.test", "Delayed Mail (still being retried)", "ENV-NODELAY")).length, 0);
    assert.equal((await p.a.data.db.outboundRecipient.findFirstOrThrow({ where: { messageId: without } })).delayNotified, false);
  } finally {
    // No more retries to a host that is not there for the rest of the file.
    await p.a.data.db.outboundMessage.deleteMany({ where: { id: { in: [withDelay, without] } } });
  }
});

test("NOTIFY=SUCCESS to a next hop without DSN: the parameters stay here and the sender gets a \"relayed\" DSN after the 250", async () => {
  const id = await p.submit(p.a, { to: "carol@nodsn.test", subject: "to a hop without dsn", dsn: { envid: "ENV-RELAY", notify: ["SUCCESS", "FAILURE"] } });
  const [dsn] = await p.waitFor(() => reports(p.a, "alice@a.test", SUCCESS, "ENV-RELAY"), (r) => r.length === 1);
  const got = noDsn.got.find((g) => g.data.includes("Subject: to a hop without dsn"));
  assert.ok(got);
  assert.deepEqual(Object.keys(got.mailArgs).filter((k) => k === "RET" || k === "ENVID"), [], "no DSN parameters to a host that does not offer DSN");
  assert.deepEqual(got.rcpts.map((r) => Object.keys(r.args)), [[]]);
  assert.match(dsn, /Final-Recipient: rfc822; carol@nodsn\.test\r\nAction: relayed\r\nStatus: 2\.0\.0\r\nRemote-MTA: dns; mx\.nodsn\.test\r\nDiagnostic-Code: smtp; 250 2\.0\.0 taken/);
  assert.match(dsn, /Content-Type: text\/rfc822-headers/);
  assert.doesNotMatch(dsn, /Hello from the other provider/);
  const log = await p.waitFor(() => p.a.data.db.deliveryLog.findMany({ where: { queueId: id }, orderBy: { createdAt: "asc" } }), (l) => l.some((e) => e.event === "relayed"));
  assert.ok(log.some((e) => e.event === "delivered" && /^250 /.test(e.detail)));
  assert.match(log.find((e) => e.event === "relayed")!.detail, /DSN \w+ to <alice@a\.test>$/);
  await p.waitFor(() => p.a.data.db.outboundMessage.count({ where: { id } }), (n) => n === 0);
});

test("a \"relayed\" report still owed when its worker died (state relayed, lease run out) is written by the next claim", async () => {
  // What a crash between the 250 and the report leaves behind (lib/store/ops/queue.ts).
  const m = await p.a.data.db.message.findFirstOrThrow({ where: { account: { email: "alice@a.test" } }, select: { blobHash: true, size: true } });
  await p.a.data.db.outboundMessage.create({
    data: {
      id: "RELAYEDCRASH1",
      mailFrom: "alice@a.test",
      blobHash: m.blobHash,
      size: m.size,
      envId: "ENV-CRASH",
      recipients: { create: { address: "carol@nodsn.test", domain: "nodsn.test", status: "relayed", notify: "SUCCESS", lastReply: "250 2.0.0 taken", lockedBy: "a-dead-worker", lockedUntil: new Date(Date.now() - 1000) } },
    },
  });
  const [dsn] = await p.waitFor(() => reports(p.a, "alice@a.test", SUCCESS, "ENV-CRASH"), (r) => r.length === 1);
  assert.match(dsn, /Final-Recipient: rfc822; carol@nodsn\.test\r\nAction: relayed\r\n/);
  await p.waitFor(() => p.a.data.db.outboundMessage.count({ where: { id: "RELAYEDCRASH1" } }), (n) => n === 0);
  const log = await p.a.data.db.deliveryLog.findMany({ where: { queueId: "RELAYEDCRASH1" } });
  assert.deepEqual(log.map((e) => e.event), ["relayed"], "reported, not sent again");
});

test("a next hop that offers DSN gets RET, ENVID and each recipient's own NOTIFY and ORCPT (xtext), in one transaction; no report from us", async () => {
  const out = await smtplib({
    ...asAlice(),
    mail_options: ["RET=FULL", "ENVID=env+2B1"],
    rcpts: [
      { to: "x@dsn.test", options: ["NOTIFY=SUCCESS", "ORCPT=rfc822;first@dsn.test"] },
      { to: "y@dsn.test", options: ["NOTIFY=FAILURE,DELAY", "ORCPT=rfc822;second+2Bx@dsn.test"] },
    ],
    message: "From: alice@a.test\r\nTo: x@dsn.test, y@dsn.test\r\nSubject: to a hop with dsn\r\n\r\nhi\r\n",
  });
  const data = out.replies.find((r) => r[0] === "DATA");
  assert.equal(data?.[1], 250, JSON.stringify(out));
  const id = data![2].split(" ").pop()!;
  const got = await p.waitFor(async () => withDsn.got.find((g) => g.data.includes("Subject: to a hop with dsn")), Boolean);
  assert.equal(got!.mailArgs.RET, "FULL");
  assert.equal(got!.mailArgs.ENVID, "env+1", "ENVID xtext-encoded on the wire (+2B), decoded by the sink");
  const byAddress = new Map(got!.rcpts.map((r) => [r.address, r.args]));
  assert.deepEqual(byAddress.get("x@dsn.test"), { NOTIFY: "SUCCESS", ORCPT: "rfc822;first@dsn.test" });
  assert.deepEqual(byAddress.get("y@dsn.test"), { NOTIFY: "FAILURE,DELAY", ORCPT: "rfc822;second+x@dsn.test" });
  await p.waitFor(() => p.a.data.db.deliveryLog.count({ where: { queueId: id, event: "delivered" } }), (n) => n === 2);
  await p.waitFor(() => p.a.data.db.outboundMessage.count({ where: { id } }), (n) => n === 0);
  assert.ok(!p.a.logs.some((l) => l.event === "queue.dsn" && l.msgId === id), "the next hop reports success, not us (RFC 3461 5.2.3)");
});

test("NOTIFY=SUCCESS to a local mailbox: the receiving MX sends a \"delivered\" DSN (b.test for bob; a.test for alice's own address)", async () => {
  const id = await p.submit(p.a, { to: "bob@b.test", subject: "success to bob", dsn: { envid: "ENV-BOB", notify: "SUCCESS" } });
  await p.waitFor(() => p.inboxCount(p.b, "bob@b.test", "success to bob"), (n) => n === 1);
  const [dsn] = await p.waitFor(() => reports(p.a, "alice@a.test", SUCCESS, "ENV-BOB"), (r) => r.length === 1);
  assert.match(dsn, /Reporting-MTA: dns; mx\.b\.test\r\nOriginal-Envelope-Id: ENV-BOB\r\n/);
  assert.match(dsn, /Final-Recipient: rfc822; bob@b\.test\r\nAction: delivered\r\nStatus: 2\.0\.0\r\n/);
  assert.match(dsn, /^Return-Path: <>\r\n/);
  const log = await p.a.data.db.deliveryLog.findMany({ where: { queueId: id } });
  assert.ok(!log.some((e) => e.event === "relayed"), "A passed NOTIFY on to b.test, which offers DSN: no \"relayed\" report");
  await p.submit(p.a, { to: "alice@a.test", subject: "success to self", dsn: { envid: "ENV-SELF", notify: "SUCCESS", orcpt: "rfc822;Alice@A.test" } });
  const [self] = await p.waitFor(() => reports(p.a, "alice@a.test", SUCCESS, "ENV-SELF"), (r) => r.length === 1);
  assert.match(self, /Reporting-MTA: dns; mx\.a\.test\r\n/);
  assert.match(self, /Final-Recipient: rfc822; alice@a\.test\r\nOriginal-Recipient: rfc822;Alice@A\.test\r\nAction: delivered\r\n/);
});

test("aliases (RFC 3461 5.2.7): one destination carries NOTIFY on with the alias as ORCPT; several make an \"expanded\" report and lose SUCCESS", async () => {
  await addAlias(p.b.data.db, "fwd1@b.test", "z@dsn.test", "test");
  await p.submit(p.a, { to: "fwd1@b.test", subject: "via a one-way alias", dsn: { envid: "ENV-FWD1", notify: "SUCCESS,FAILURE" } });
  const got = await p.waitFor(async () => withDsn.got.find((g) => g.data.includes("Subject: via a one-way alias")), Boolean);
  assert.equal(got!.mailArgs.ENVID, "ENV-FWD1");
  assert.deepEqual(got!.rcpts.map((r) => [r.address, r.args]), [["z@dsn.test", { NOTIFY: "SUCCESS,FAILURE", ORCPT: "rfc822;fwd1@b.test" }]]);

  await addAlias(p.b.data.db, "team@b.test", "bob@b.test", "test");
  await addAlias(p.b.data.db, "team@b.test", "carol@nodsn.test", "test");
  await p.submit(p.a, { to: "team@b.test", subject: "to the team", dsn: { envid: "ENV-TEAM", notify: "SUCCESS" } });
  const [expanded] = await p.waitFor(() => reports(p.a, "alice@a.test", SUCCESS, "ENV-TEAM"), (r) => r.length === 1);
  assert.match(expanded, /Reporting-MTA: dns; mx\.b\.test\r\n/);
  assert.match(expanded, /Final-Recipient: rfc822; team@b\.test\r\nAction: expanded\r\nStatus: 2\.0\.0\r\n/);
  // B forwarded carol's copy with NOTIFY=NEVER (SUCCESS was all there was): no "relayed" report from B.
  await p.waitFor(async () => noDsn.got.some((g) => g.data.includes("Subject: to the team")), Boolean);
  // A "relayed" step would hold the queue entry until its report was written.
  await p.waitFor(() => p.b.data.db.outboundMessage.count(), (n) => n === 0);
  const forwarded = await p.b.data.db.deliveryLog.findMany({ where: { recipient: "carol@nodsn.test", event: { in: ["delivered", "relayed"] } } });
  assert.ok(forwarded.some((e) => e.event === "delivered") && !forwarded.some((e) => e.event === "relayed"), JSON.stringify(forwarded));
  assert.equal((await reports(p.a, "alice@a.test", SUCCESS, "ENV-TEAM")).length, 1, "one report for the alias, none for its destinations");
});

test("malformed DSN parameters are refused with 501 and the reason (MX on raw sockets, submission with smtplib); parameters on the wrong command with 555", async () => {
  const { client, greeting } = await RawSmtp.open(p.mxPort, { host: p.b.ip });
  try {
    assert.equal(greeting.code, 220);
    const ehlo = await client.command("EHLO client.example");
    assert.ok(ehlo.lines.some((l) => /^250[- ]DSN$/.test(l)), ehlo.text);
    const expect = async (line: string, code: number, text: RegExp) => {
      const r = await client.command(line);
      assert.equal(r.code, code, `${line} -> ${r.text}`);
      assert.match(r.text, text, line);
    };
    await expect("MAIL FROM:<x@remote.example> RET=BODY", 501, /RET/);
    await expect(`MAIL FROM:<x@remote.example> ENVID=${"e".repeat(101)}`, 501, /5\.5\.4 Bad MAIL FROM parameter: ENVID is longer than 100 characters/);
    await expect("MAIL FROM:<x@remote.example> ENVID=caf+C3+A9", 501, /ENVID must be printable US-ASCII/);
    await expect("MAIL FROM:<x@remote.example> RET=HDRS RET=FULL", 501, /duplicate RET/);
    await expect("MAIL FROM:<x@remote.example> NOTIFY=SUCCESS", 555, /5\.5\.4 MAIL FROM parameter not recognised or not implemented: NOTIFY/);
    await expect("MAIL FROM:<x@remote.example> RET=HDRS ENVID=ok-1", 250, /Accepted/);
    await expect("RCPT TO:<bob@b.test> NOTIFY=SOMETIMES", 501, /NOTIFY/);
    await expect("RCPT TO:<bob@b.test> NOTIFY=NEVER,SUCCESS", 501, /NEVER/);
    await expect("RCPT TO:<bob@b.test> NOTIFY=SUCCESS,SUCCESS", 501, /5\.5\.4 Bad RCPT TO parameter: NOTIFY must be NEVER or a list of SUCCESS, FAILURE, DELAY, each once/);
    await expect("RCPT TO:<bob@b.test> ORCPT=bob@b.test", 501, /ORCPT/);
    await expect(`RCPT TO:<bob@b.test> ORCPT=rfc822;${"b".repeat(500)}@b.test`, 501, /ORCPT is longer than 500 characters/);
    await expect("RCPT TO:<bob@b.test> RET=FULL", 555, /RCPT TO parameter not recognised or not implemented: RET/);
    await expect("RCPT TO:<bob@b.test> NOTIFY=FAILURE,DELAY ORCPT=rfc822;bob@b.test", 250, /Accepted/);
  } finally {
    client.close();
  }
  const out = await smtplib({ ...asAlice(), recipients: ["bob@b.test"], rcpt_options: ["NOTIFY=SOMETIMES"] });
  assert.equal(out.sent, false);
  assert.equal(out.refused?.["bob@b.test"]?.[0], 501, JSON.stringify(out));
  const bad = await smtplib({ ...asAlice(), recipients: ["bob@b.test"], mail_options: ["RET=EVERYTHING"] });
  assert.equal(bad.sender_refused?.[0], 501, JSON.stringify(bad));
});
