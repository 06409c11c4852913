/**
 * lib/submission as the web uses it (Sent copy, local delivery, remote queue, sender
 * ownership) and the engine's pending sends (undo send, scheduled send) across an engine
 * restart, on the engine's own store.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { testDatabase, type TestDatabase } from "../helpers/db";
import { startEngine, type Engine } from "../../mail-engine/engine";
import { addAccount, addAlias, addDomain } from "../../lib/directory";
import { createLogger, setLogSink } from "../../lib/log";
import { buildMessage } from "../../lib/compose/build";
import { submitMessage, SubmissionRefused, type SubmissionDeps } from "../../lib/submission";
import { cancelPending, holdForSending } from "../../lib/submission/pending";
import { newQueueId } from "../../lib/domain/ids";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let t: TestDatabase;
let engine: Engine;
let alice: { id: string; email: string };
let bob: { id: string; email: string };
const logs: Array<Record<string, unknown>> = [];

const deps = (): SubmissionDeps => ({ config: t.config, db: t.db, store: engine.ctx.store, log: engine.ctx.log });
// No queue worker: the remote recipient stays queued as submission left it (and no DNS look-up leaves the machine).
const start = () => startEngine(t.config, { randomPorts: true, log: createLogger({ proc: "engine" }), queueWorker: false });

before(async () => {
  t = await testDatabase({ SMTP_PORT: "1", SUBMISSION_PORT: "1", SUBMISSIONS_PORT: "1", IMAP_PORT: "0", IMAPS_PORT: "0", POP3_PORT: "0", POP3S_PORT: "0" });
  setLogSink((line) => logs.push(JSON.parse(line)));
  await addDomain(t.db, "example.test", "test");
  alice = await addAccount(t.db, { email: "alice@example.test", password: "correct horse" }, "test");
  bob = await addAccount(t.db, { email: "bob@example.test", password: "correct horse" }, "test");
  await addAlias(t.db, "billing@example.test", "bob@example.test", "test");
  engine = await start();
});
after(async () => {
  await engine.stop();
  await t.cleanup();
});

async function compose(from: string, to: string[], subject: string, extra: Partial<Parameters<typeof buildMessage>[0]> = {}) {
  return buildMessage({ from: { address: from, name: "" }, to, cc: [], bcc: [], subject, html: "<p>Hello <strong>there</strong></p>", text: "", attachments: [], hostname: "mx.test.example", ...extra });
}

async function messagesIn(accountId: string, mailbox: string, subject: string) {
  return t.db.message.findMany({ where: { accountId, mailbox: { name: mailbox }, subject } });
}

async function waitFor(what: string, check: () => Promise<boolean>, ms = 15_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

test("the web path: local recipient at once, remote one queued, a \\Seen copy in Sent, Bcc delivered but not shown", async () => {
  const m = await compose("bob@example.test", ["alice@example.test", "carol@far.example"], "web path", { bcc: ["billing@example.test"] });
  assert.doesNotMatch(m.raw.toString(), /^Bcc:/im, "no Bcc field in what recipients get");
  const r = await submitMessage(deps(), { account: bob, raw: m.raw, mailFrom: "bob@example.test", recipients: ["alice@example.test", "carol@far.example", "billing@example.test"], bcc: ["billing@example.test"], sentCopy: true, via: "webmail" });
  assert.equal(r.messageId, m.messageId);
  const inbox = await messagesIn(alice.id, "INBOX", "web path");
  assert.equal(inbox.length, 1);
  assert.equal(inbox[0].queueId, r.queueId);
  assert.equal(inbox[0].messageIdHeader, m.messageId);
  const sent = await messagesIn(bob.id, "Sent", "web path");
  assert.equal(sent.length, 1);
  assert.equal(sent[0].seen, true);
  assert.equal(r.sent?.messageId, sent[0].id);
  assert.equal((await messagesIn(bob.id, "INBOX", "web path")).length, 1, "the Bcc to bob's own alias reached his Inbox");
  const queued = await t.db.outboundMessage.findUnique({ where: { id: r.queueId }, include: { recipients: true } });
  assert.deepEqual(queued?.recipients.map((x) => x.address), ["carol@far.example"]);
  assert.equal(queued?.accountId, bob.id);
  const blob = await engine.ctx.store.blobs.get(inbox[0].blobHash);
  const text = blob.toString();
  assert.match(text, /^Return-Path: <bob@example\.test>\r\nReceived: from webmail \(authenticated user bob@example\.test\)/);
  assert.match(text, /Content-Type: multipart\/alternative/i);
  assert.doesNotMatch(text, /^Bcc:/im, "recipients' copy names no Bcc");
  const own = (await engine.ctx.store.blobs.get(sent[0].blobHash)).toString();
  assert.match(own, /^Bcc: billing@example\.test\r$/m, "the Sent copy remembers the Bcc");
  assert.equal(sent[0].queueId, r.queueId);
  assert.match(text, /Content-Type: text\/plain/i);
  assert.ok(logs.some((l) => l.event === "submission.accepted" && l.msgId === r.queueId), "logged with its msgId");
});

test("sender ownership: another's address is refused 553 5.7.1 and nothing is stored; an owned alias is fine", async () => {
  const before = await t.db.message.count();
  const forged = await compose("alice@example.test", ["alice@example.test"], "forged");
  await assert.rejects(
    submitMessage(deps(), { account: bob, raw: forged.raw, mailFrom: "bob@example.test", recipients: ["alice@example.test"], sentCopy: true, via: "webmail" }),
    (err: unknown) => err instanceof SubmissionRefused && err.code === 553 && err.enhanced === "5.7.1" && /alice@example\.test/.test(err.message),
  );
  await assert.rejects(
    submitMessage(deps(), { account: bob, raw: (await compose("bob@example.test", ["alice@example.test"], "x")).raw, mailFrom: "alice@example.test", recipients: ["alice@example.test"], sentCopy: true, via: "webmail" }),
    (err: unknown) => err instanceof SubmissionRefused && err.code === 553,
  );
  assert.equal(await t.db.message.count(), before, "nothing stored");
  const alias = await compose("billing@example.test", ["alice@example.test"], "from the alias");
  await submitMessage(deps(), { account: bob, raw: alias.raw, mailFrom: "billing@example.test", recipients: ["alice@example.test"], sentCopy: true, via: "webmail" });
  assert.equal((await messagesIn(alice.id, "INBOX", "from the alias")).length, 1);
});

test("an unknown local recipient is refused 550 5.1.1 before anything is stored", async () => {
  const m = await compose("bob@example.test", ["alice@example.test", "nobody@example.test"], "unknown local");
  await assert.rejects(
    submitMessage(deps(), { account: bob, raw: m.raw, mailFrom: "bob@example.test", recipients: ["alice@example.test", "nobody@example.test"], sentCopy: true, via: "webmail" }),
    (err: unknown) => err instanceof SubmissionRefused && err.code === 550 && err.enhanced === "5.1.1",
  );
  assert.equal((await messagesIn(alice.id, "INBOX", "unknown local")).length, 0);
});

test("a scheduled send survives an engine restart and leaves once; an undone one never leaves", async () => {
  const due = await compose("bob@example.test", ["alice@example.test"], "scheduled across restart");
  const undone = await compose("bob@example.test", ["alice@example.test"], "undone send");
  const id = newQueueId();
  const undoneId = newQueueId();
  const sendAt = new Date(Date.now() + 1500);
  await holdForSending(t.db, { id, accountId: bob.id, sendAt, mailFrom: "bob@example.test", recipients: ["alice@example.test"], bcc: [], raw: due.raw, subject: "scheduled across restart" });
  await holdForSending(t.db, { id: undoneId, accountId: bob.id, sendAt, mailFrom: "bob@example.test", recipients: ["alice@example.test"], bcc: [], raw: undone.raw, subject: "undone send" });
  assert.equal((await cancelPending(t.db, alice.id, undoneId)), null, "another account cannot undo it");
  const back = await cancelPending(t.db, bob.id, undoneId);
  assert.equal(back?.subject, "undone send");
  assert.ok(back?.raw.equals(undone.raw), "undo returns the message to reopen as a draft");

  await engine.stop();
  await sleep(Math.max(0, sendAt.getTime() - Date.now()) + 300);
  assert.equal((await messagesIn(alice.id, "INBOX", "scheduled across restart")).length, 0, "nothing sends while the engine is down");
  engine = await start();
  await waitFor("the scheduled message", async () => (await messagesIn(alice.id, "INBOX", "scheduled across restart")).length > 0);
  await waitFor("the pending row to go", async () => (await t.db.pendingSend.count({ where: { id } })) === 0);
  const inbox = await messagesIn(alice.id, "INBOX", "scheduled across restart");
  assert.equal(inbox.length, 1);
  assert.equal(inbox[0].queueId, id, "the pending row's id is the queue id");
  assert.equal((await messagesIn(bob.id, "Sent", "scheduled across restart")).length, 1);
  await sleep(1500);
  assert.equal((await messagesIn(alice.id, "INBOX", "undone send")).length, 0);
  assert.ok(logs.some((l) => l.event === "pending_send.sent" && l.msgId === id));
});

test("a pending send already delivered before a crash is only removed, not sent again", async () => {
  const m = await compose("bob@example.test", ["alice@example.test"], "delivered before the crash");
  const id = newQueueId();
  await submitMessage(deps(), { account: bob, raw: m.raw, mailFrom: "bob@example.test", recipients: ["alice@example.test"], sentCopy: true, queueId: id, via: "webmail" });
  await holdForSending(t.db, { id, accountId: bob.id, sendAt: new Date(), mailFrom: "bob@example.test", recipients: ["alice@example.test"], bcc: [], raw: m.raw, subject: "x" });
  await waitFor("the pending row to go", async () => (await t.db.pendingSend.count({ where: { id } })) === 0);
  assert.equal((await messagesIn(alice.id, "INBOX", "delivered before the crash")).length, 1);
});

test("a pending send refused when due (the alias was removed) goes back to Drafts, flagged", async () => {
  await addAlias(t.db, "sales@example.test", "bob@example.test", "test");
  const m = await compose("sales@example.test", ["alice@example.test"], "refused when due");
  const id = newQueueId();
  await holdForSending(t.db, { id, accountId: bob.id, sendAt: new Date(Date.now() + 200), mailFrom: "sales@example.test", recipients: ["alice@example.test", "carol@far.example"], bcc: ["carol@far.example"], raw: m.raw, subject: "refused when due" });
  await t.db.alias.deleteMany({ where: { address: "sales@example.test" } });
  await waitFor("the pending row to go", async () => (await t.db.pendingSend.count({ where: { id } })) === 0);
  const drafts = await messagesIn(bob.id, "Drafts", "refused when due");
  assert.equal(drafts.length, 1);
  assert.equal(drafts[0].flagged, true);
  assert.match((await engine.ctx.store.blobs.get(drafts[0].blobHash)).toString(), /^Bcc: carol@far\.example\r$/m, "the draft keeps its Bcc");
  assert.equal((await messagesIn(alice.id, "INBOX", "refused when due")).length, 0);
});
