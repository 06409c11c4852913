// The outbound queue's pure parts: retry schedule, DSN construction (RFC 3464/3461), and
// making a message fit to relay (RFC 5321 line limit, 8BITMIME/SMTPUTF8 needs).
import { test } from "node:test";
import assert from "node:assert/strict";
import { retryDelay, expired, delayNoticeDue } from "../../mail-engine/queue/schedule";
import { buildDsn, mayNotify, statusOf, wanted } from "../../mail-engine/queue/dsn";
import { encodeXtext, mailDsnParams, rcptDsnParams } from "../../lib/domain/dsn-params";
import { hasLongLine, prepareOutgoing, refusalFor } from "../../mail-engine/queue/prepare";
import { parseMessage } from "../../lib/mime/message-parser";
import type { ClaimedMessage } from "../../lib/store/ops/queue";

const schedule = { queueRetryFirstMs: 300_000, queueRetryMaxMs: 4 * 3_600_000, queueLifetimeMs: 5 * 86_400_000, queueDelayNoticeMs: 4 * 3_600_000 };

test("retries back off 5, 10, 20, 40 minutes ... capped at 4 hours; expiry after 5 days; the delay notice after 4 hours", () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 50].map((n) => retryDelay(schedule, n) / 60_000), [5, 10, 20, 40, 80, 160, 240, 240]);
  const t0 = new Date("2026-01-01T00:00:00Z");
  assert.equal(expired(schedule, t0, new Date("2026-01-05T23:59:59Z")), false);
  assert.equal(expired(schedule, t0, new Date("2026-01-06T00:00:00Z")), true);
  assert.equal(delayNoticeDue(schedule, t0, new Date("2026-01-01T03:59:59Z")), false);
  assert.equal(delayNoticeDue(schedule, t0, new Date("2026-01-01T04:00:00Z")), true);
  assert.equal(delayNoticeDue({ ...schedule, queueDelayNoticeMs: 0 }, t0, new Date("2026-02-01T00:00:00Z")), false);
});

test("NOTIFY decides which DSNs are wanted; none for a null sender or a DSN; enhanced status codes from replies", () => {
  assert.equal(wanted(null, "failed"), true);
  assert.equal(wanted(null, "delayed"), true);
  assert.equal(wanted("NEVER", "failed"), false);
  assert.equal(wanted("SUCCESS,FAILURE", "delayed"), false);
  assert.equal(wanted("success,failure", "failed"), true);
  assert.equal(mayNotify({ mailFrom: "", isDsn: false }), false);
  assert.equal(mayNotify({ mailFrom: "a@b.example", isDsn: true }), false);
  assert.equal(statusOf("550 5.1.1 <x@y>: no such user", "failed"), "5.1.1");
  assert.equal(statusOf("554 Transaction failed", "failed"), "5.0.0");
  assert.equal(statusOf("4.4.1 connection refused", "delayed"), "4.4.1");
  assert.equal(statusOf("connection refused", "delayed"), "4.0.0");
});

const message = (over: Partial<ClaimedMessage> = {}): ClaimedMessage => ({
  id: "Q1", accountId: null, mailFrom: "alice@a.example", blobHash: "", bodyOffset: 0, size: 0, envId: null, ret: null, isDsn: false, createdAt: new Date("2026-01-01T00:00:00Z"), ...over,
});
const original = Buffer.from("From: alice@a.example\r\nTo: bob@b.example\r\nSubject: hi\r\n\r\nthe body\r\n");

test("a DSN is a multipart/report with the per-recipient fields; RET=FULL returns the message, else its header; ENVID and ORCPT echoed", () => {
  const dsn = buildDsn({ reportingMta: "mx.a.example", message: message({ envId: "env-1" }), original, recipients: [{ address: "bob@b.example", orcpt: "rfc822;Bob@B.example", action: "failed", reply: "550 5.1.1 no such user\r\nInjected: header", remoteMta: "mx.b.example" }] }).toString();
  const parsed = parseMessage(Buffer.from(dsn));
  assert.equal(parsed.structure.type, "multipart");
  assert.equal(parsed.structure.subtype, "report");
  assert.deepEqual(parsed.structure.parts!.map((p) => `${p.type}/${p.subtype}`), ["text/plain", "message/delivery-status", "text/rfc822-headers"]);
  assert.match(dsn, /Reporting-MTA: dns; mx\.a\.example\r\nOriginal-Envelope-Id: env-1\r\n/);
  assert.match(dsn, /Final-Recipient: rfc822; bob@b\.example\r\nOriginal-Recipient: rfc822;Bob@B\.example\r\nAction: failed\r\nStatus: 5\.1\.1\r\nRemote-MTA: dns; mx\.b\.example\r\nDiagnostic-Code: smtp; 550 5\.1\.1 no such user Injected: header\r\n/);
  assert.doesNotMatch(dsn, /\r\nInjected:/, "a reply cannot add header lines");
  assert.match(dsn, /Auto-Submitted: auto-replied/);
  assert.doesNotMatch(dsn, /the body/, "without RET=FULL only the header section comes back");
  const full = buildDsn({ reportingMta: "mx.a.example", message: message({ ret: "FULL" }), original, recipients: [{ address: "bob@b.example", orcpt: null, action: "failed", reply: "550 5.1.1 no such user" }] }).toString();
  assert.match(full, /Content-Type: message\/rfc822\r\n\r\nFrom: alice@a\.example[\s\S]*the body/);
  const delayed = buildDsn({ reportingMta: "mx.a.example", message: message({ ret: "FULL" }), original, recipients: [{ address: "bob@b.example", orcpt: null, action: "delayed", reply: "451 4.3.0 later" }] }).toString();
  assert.match(delayed, /Subject: Delayed Mail \(still being retried\)/);
  assert.match(delayed, /Action: delayed\r\nStatus: 4\.3\.0/);
  assert.doesNotMatch(delayed, /the body/, "RET concerns failure reports only (RFC 3461 4.3)");
  const relayed = buildDsn({ reportingMta: "mx.a.example", message: message({ ret: "FULL" }), original, recipients: [{ address: "bob@b.example", orcpt: "rfc822;bob@b.example", action: "relayed", reply: "250 2.0.0 Ok", remoteMta: "mx.b.example" }] }).toString();
  assert.match(relayed, /Subject: Successful Mail Delivery Report/);
  assert.match(relayed, /Action: relayed\r\nStatus: 2\.0\.0\r\nRemote-MTA: dns; mx\.b\.example/);
  assert.match(relayed, /Content-Type: text\/rfc822-headers/);
});

test("NOTIFY decides which reports are wanted: SUCCESS for delivered, relayed and expanded", () => {
  assert.equal(wanted(null, "relayed"), false, "no SUCCESS report unless asked for");
  assert.equal(wanted("SUCCESS", "delivered"), true);
  assert.equal(wanted("SUCCESS", "failed"), false);
  assert.equal(wanted("FAILURE,SUCCESS", "expanded"), true);
  assert.equal(wanted("NEVER", "relayed"), false);
});

test("DSN parameters (RFC 3461 4): RET, ENVID, NOTIFY and ORCPT are checked and normalised; xtext encodes + = and controls", () => {
  assert.deepEqual(mailDsnParams({ RET: "hdrs", ENVID: "QQ314159" }), { ok: true, value: { ret: "HDRS", envid: "QQ314159" } });
  assert.deepEqual(mailDsnParams(false), { ok: true, value: { ret: null, envid: null } });
  assert.equal(mailDsnParams({ RET: "BODY" }).ok, false);
  assert.equal(mailDsnParams({ ENVID: "x".repeat(101) }).ok, false);
  assert.equal(mailDsnParams({ ENVID: "caf\u00e9" }).ok, false);
  assert.deepEqual(rcptDsnParams({ NOTIFY: "success,failure", ORCPT: "RFC822;Bob@B.example" }), { ok: true, value: { notify: "SUCCESS,FAILURE", orcpt: "rfc822;Bob@B.example" } });
  assert.equal(rcptDsnParams({ NOTIFY: "NEVER,SUCCESS" }).ok, false);
  assert.equal(rcptDsnParams({ NOTIFY: "SUCCESS,SUCCESS" }).ok, false);
  assert.equal(rcptDsnParams({ NOTIFY: "SOMETIMES" }).ok, false);
  assert.equal(rcptDsnParams({ ORCPT: "bob@b.example" }).ok, false, "ORCPT needs its addr-type");
  assert.equal(rcptDsnParams({ ORCPT: `rfc822;${"x".repeat(500)}@b.example` }).ok, false);
  assert.equal(encodeXtext("rfc822;a+b=c@d.example"), "rfc822;a+2Bb+3Dc@d.example");
  assert.equal(encodeXtext("id with space"), "id+20with+20space");
});

test("lines over 998 octets: text parts become quoted-printable, the rest is untouched; a long header line is refused", async () => {
  const long = "x".repeat(1500);
  assert.equal(hasLongLine(Buffer.from(`a\r\n${"y".repeat(998)}\r\n`)), false);
  assert.equal(hasLongLine(Buffer.from(`a\r\n${"y".repeat(999)}\r\n`)), true);
  const raw = Buffer.from(
    `From: a@a.example\r\nSubject: mixed\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n` +
      `--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nshort line é\r\n` +
      `--b1\r\nContent-Type: text/html\r\n\r\n<p>${long}</p>\r\n` +
      `--b1--\r\n`,
  );
  const out = await prepareOutgoing(raw);
  assert.ok(!("error" in out));
  const text = out.bytes.toString("utf8");
  assert.equal(out.reencoded, 1);
  assert.equal(hasLongLine(out.bytes), false);
  assert.match(text, /Content-Type: text\/html\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<p>x{70,}=\r\n/);
  assert.match(text, /Content-Transfer-Encoding: 8bit\r\n\r\nshort line é\r\n--b1/, "the part without long lines is as it was");
  assert.equal(out.eightBit, true);
  assert.equal(out.utf8Header, false);
  const badHeader = await prepareOutgoing(Buffer.from(`From: a@a.example\r\nX-Long: ${long}\r\n\r\nbody\r\n`));
  assert.ok("error" in badHeader && /header line is longer than 998/.test(badHeader.error));
  const badB64 = await prepareOutgoing(Buffer.from(`From: a@a.example\r\nContent-Transfer-Encoding: base64\r\n\r\n${"QUJD".repeat(400)}\r\n`));
  assert.ok("error" in badB64 && /base64 part/.test(badB64.error));
});

test("8-bit content needs 8BITMIME, UTF-8 headers or addresses need SMTPUTF8: refused with the reason otherwise", async () => {
  const eight = await prepareOutgoing(Buffer.from("Subject: x\r\n\r\ncafé\r\n"));
  const utf8 = await prepareOutgoing(Buffer.from("Subject: café\r\n\r\nbody\r\n"));
  assert.ok(!("error" in eight) && !("error" in utf8));
  assert.match(refusalFor(eight, ["PIPELINING"], false)!, /^5\.6\.3 .*8BITMIME/);
  assert.equal(refusalFor(eight, ["8BITMIME"], false), null);
  assert.match(refusalFor(utf8, ["8BITMIME"], false)!, /^5\.6\.7 .*SMTPUTF8/);
  assert.equal(refusalFor(utf8, ["8BITMIME", "SMTPUTF8"], false), null);
  const ascii = await prepareOutgoing(Buffer.from("Subject: x\r\n\r\nbody\r\n"));
  assert.ok(!("error" in ascii));
  assert.match(refusalFor(ascii, [], true)!, /SMTPUTF8/);
  assert.equal(refusalFor(ascii, [], false), null);
});

test("outbound settings: the source address follows a specific BIND_ADDRESS; relay settings are checked", async () => {
  const { loadConfig, ConfigError } = await import("../../lib/config");
  const base = { DATA_DIR: "/tmp/x" };
  assert.equal(loadConfig(base).outboundBindAddress, null, "0.0.0.0 binds everything: the system picks the source");
  assert.equal(loadConfig({ ...base, BIND_ADDRESS: "192.0.2.7" }).outboundBindAddress, "192.0.2.7");
  assert.equal(loadConfig({ ...base, BIND_ADDRESS: "192.0.2.7", OUTBOUND_BIND_ADDRESS: "192.0.2.8" }).outboundBindAddress, "192.0.2.8");
  assert.throws(() => loadConfig({ ...base, OUTBOUND_BIND_ADDRESS: "mx.example" }), ConfigError);
  const c = loadConfig(base);
  assert.deepEqual([c.outboundSmtpPort, c.outboundConcurrency, c.outboundDestinationConcurrency, c.queueRetryFirstMs, c.queueRetryMaxMs, c.queueLifetimeMs, c.queueDelayNoticeMs, c.relay], [25, 100, 20, 300_000, 14_400_000, 432_000_000, 14_400_000, null]);
  assert.deepEqual(loadConfig({ ...base, RELAY_HOST: "smtp.example", RELAY_TLS: "tls" }).relay, { host: "smtp.example", port: 465, user: null, password: null, tls: "tls" });
  assert.throws(() => loadConfig({ ...base, RELAY_HOST: "smtp.example", RELAY_TLS: "maybe" }), /RELAY_TLS/);
  assert.throws(() => loadConfig({ ...base, RELAY_HOST: "smtp.example", RELAY_USER: "u" }), /RELAY_USER and RELAY_PASSWORD/);
});
