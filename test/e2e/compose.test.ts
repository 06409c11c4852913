/**
 * Writing in the webmail, in Chromium over the built app: compose and send to a local
 * user, reply with Thunderbird-style threading headers, forward (inline and as an
 * attachment), attachments by picker and drag and drop with the size limit, a pasted
 * image as an inline part, draft autosave (seen over IMAP) and reopening, undo send, and
 * a scheduled send that leaves after an engine restart. Screenshots of the compose screen
 * go to test-results/compose/.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import nodemailer from "nodemailer";
import { ImapFlow } from "imapflow";
import type { BrowserContext, Page } from "playwright-core";
import { testDatabase, type TestDatabase } from "../helpers/db";
import { startEngine, type Engine } from "../../mail-engine/engine";
import { addAccount, addAlias, addDomain } from "../../lib/directory";
import { createLogger, setLogSink } from "../../lib/log";
import { PASSWORD, type TestEngine } from "../helpers/engine";
import { startWebApp, WAIT_MS, type WebApp } from "../helpers/web-app";
import { createBlobStore } from "../../lib/store/blob-store";
import { createRequire } from "node:module";

const SHOTS = path.resolve(import.meta.dirname, "../../test-results/compose");
const MAX_MESSAGE_SIZE = 300_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let t: TestDatabase;
let engine: Engine;
let app: WebApp;
let alice: BrowserContext;
let page: Page;
let aliceId = "";
let bobId = "";

async function waitFor<T>(what: string, check: () => Promise<T | null | undefined | false>, ms = WAIT_MS): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const inFolder = (accountId: string, folder: string, subject: string) => t.db.message.findMany({ where: { accountId, mailbox: { name: folder }, subject } });
const received = (accountId: string, subject: string) => waitFor(`"${subject}" to arrive`, async () => (await inFolder(accountId, "INBOX", subject))[0]);
const rawOf = async (blobHash: string) => (await createBlobStore(t.config, t.db).get(blobHash)).toString("utf8");
const headerOf = (raw: string, name: string) => new RegExp(`^${name}:[ \\t]*(.*(?:\\r\\n[ \\t].*)*)`, "im").exec(raw)?.[1].replace(/\r\n[ \t]+/g, " ").trim() ?? "";
const undoSeconds = (accountId: string, s: number) => t.db.account.update({ where: { id: accountId }, data: { undoSendSeconds: s } });
const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

function mx(mail: nodemailer.SendMailOptions) {
  const tr = nodemailer.createTransport({ host: "127.0.0.1", port: engine.smtp.ports.mx, secure: false, tls: { rejectUnauthorized: false } });
  return tr.sendMail(mail).finally(() => tr.close());
}

async function typeBody(text: string) {
  await page.locator('[data-testid="compose-body"]').click();
  await page.keyboard.type(text);
}

// No queue worker: remote recipients stay queued (no DNS look-up leaves the machine).
const start = () => startEngine(t.config, { randomPorts: true, log: createLogger({ proc: "engine" }), queueWorker: false });

before(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  t = await testDatabase({ SMTP_PORT: "1", SUBMISSION_PORT: "0", SUBMISSIONS_PORT: "0", IMAP_PORT: "1", IMAPS_PORT: "0", POP3_PORT: "0", POP3S_PORT: "0", SMTP_GREET_PAUSE_MS: "0" });
  setLogSink(() => undefined);
  await addDomain(t.db, "example.test", "test");
  aliceId = (await addAccount(t.db, { email: "alice@example.test", password: PASSWORD, displayName: "Alice" }, "test")).id;
  bobId = (await addAccount(t.db, { email: "bob@example.test", password: PASSWORD, displayName: "Bob" }, "test")).id;
  engine = await start();
  app = await startWebApp({ config: t.config } as TestEngine, { MAX_MESSAGE_SIZE: String(MAX_MESSAGE_SIZE) });
  alice = await app.newContext();
  page = await alice.newPage();
  await app.signIn(page, "alice@example.test", PASSWORD);
  await page.waitForURL(/\/mail\/INBOX/);
});

after(async () => {
  await alice?.close().catch(() => undefined);
  await app?.stop();
  await engine?.stop();
  await t?.cleanup();
});

test("compose and send: a local user gets multipart/alternative with a real text part, the sender a \\Seen copy in Sent", async () => {
  await undoSeconds(aliceId, 1);
  await page.goto("/mail/compose?to=bob@example.test");
  assert.equal(await page.locator('[data-testid="compose-to"]').inputValue(), "bob@example.test");
  await page.fill('[data-testid="compose-subject"]', "Lunch on Friday");
  await typeBody("Shall we meet at ");
  await page.keyboard.press("Control+b");
  await page.keyboard.type("noon");
  await page.keyboard.press("Control+b");
  await page.keyboard.type("?");
  await shot("compose-new");
  await page.keyboard.press("Control+Enter");
  await page.locator('[data-testid="send-status"]').waitFor();
  const got = await received(bobId, "Lunch on Friday");
  const raw = await rawOf(got.blobHash);
  assert.match(raw, /Content-Type: multipart\/alternative/i);
  assert.match(raw, /Content-Type: text\/plain[^]*Shall we meet at noon\?/i);
  assert.match(raw, /<strong>noon<\/strong>/);
  assert.match(headerOf(raw, "From"), /Alice <alice@example\.test>/);
  const sent = await inFolder(aliceId, "Sent", "Lunch on Friday");
  assert.equal(sent.length, 1);
  assert.equal(sent[0].seen, true);
  await shot("compose-sent");

  // Bob sees it in his Inbox in the browser.
  const bob = await app.newContext();
  const bp = await bob.newPage();
  await app.signIn(bp, "bob@example.test", PASSWORD);
  await bp.waitForURL(/\/mail\/INBOX/);
  await bp.locator('[data-testid="message-row"]', { hasText: "Lunch on Friday" }).waitFor();
  await bob.close();
});

test("recipients autocomplete from addresses the user wrote to", async () => {
  await page.goto("/mail/compose");
  await page.locator('[data-testid="compose-to"]').pressSequentially("bo");
  const option = page.locator('[data-testid="contact-suggestions"] [role="option"]', { hasText: "bob@example.test" });
  await option.waitFor();
  await page.keyboard.press("Enter");
  assert.match(await page.locator('[data-testid="compose-to"]').inputValue(), /bob@example\.test>?, $/);
});

test("reply: To, Re: once, In-Reply-To and References as Thunderbird threads them, the original marked answered", async () => {
  await mx({ from: "Bob <bob@example.test>", to: "alice@example.test", subject: "Re: Budget 2027", text: "What do you think of the numbers?", messageId: "<thread-2@example.test>", references: "<thread-1@example.test>", inReplyTo: "<thread-1@example.test>" });
  const original = await received(aliceId, "Re: Budget 2027");
  await page.goto(`/mail/INBOX/${original.id}`);
  await page.locator('[data-testid="compose-reply"]').click();
  await page.waitForURL(/\/mail\/compose\?reply=/);
  assert.match(await page.locator('[data-testid="compose-to"]').inputValue(), /bob@example\.test/);
  assert.equal(await page.locator('[data-testid="compose-subject"]').inputValue(), "Re: Budget 2027", "no second Re:");
  await page.locator('[data-testid="compose-body"] blockquote', { hasText: "What do you think of the numbers?" }).waitFor();
  await shot("compose-reply");
  await page.locator('[data-testid="compose-body"] p').first().click();
  await page.keyboard.type("They look fine to me.");
  await page.click('[data-testid="compose-send"]');
  await page.locator('[data-testid="send-status"]').waitFor();
  const reply = await received(bobId, "Re: Budget 2027");
  const raw = await rawOf(reply.blobHash);
  assert.equal(headerOf(raw, "In-Reply-To"), "<thread-2@example.test>");
  assert.equal(headerOf(raw, "References"), "<thread-1@example.test> <thread-2@example.test>");
  assert.match(raw, /> What do you think of the numbers\?/, "the text part quotes the original");
  assert.equal(reply.threadId !== "", true);
  await waitFor("\\Answered on the original", async () => (await t.db.message.findUnique({ where: { id: original.id } }))?.answered);
});

test("forward inline keeps the attachments; forward as attachment sends message/rfc822", async () => {
  await mx({ from: "Carol <carol@remote.example>", to: "alice@example.test", subject: "Contract draft", text: "Please see the contract.", attachments: [{ filename: "contract.txt", content: "the contract text" }] });
  const original = await received(aliceId, "Contract draft");
  await page.goto(`/mail/INBOX/${original.id}`);
  await page.locator('[data-testid="compose-forward"]').click();
  await page.waitForURL(/\/mail\/compose\?forward=/);
  assert.equal(await page.locator('[data-testid="compose-subject"]').inputValue(), "Fwd: Contract draft");
  await page.locator('[data-testid="compose-attachments"]', { hasText: "contract.txt" }).waitFor();
  await page.fill('[data-testid="compose-to"]', "bob@example.test");
  await page.click('[data-testid="compose-send"]');
  await page.locator('[data-testid="send-status"]').waitFor();
  const fwd = await rawOf((await received(bobId, "Fwd: Contract draft")).blobHash);
  assert.match(fwd, /---------- Forwarded message ---------/);
  assert.match(fwd, /filename=contract\.txt/);

  await page.goto(`/mail/compose?forwardAttachment=${original.id}`);
  await page.fill('[data-testid="compose-to"]', "bob@example.test");
  await page.fill('[data-testid="compose-subject"]', "Fwd: Contract draft (attached)");
  await page.click('[data-testid="compose-send"]');
  await page.locator('[data-testid="send-status"]').waitFor();
  const att = await rawOf((await received(bobId, "Fwd: Contract draft (attached)")).blobHash);
  assert.match(att, /Content-Type: message\/rfc822/i);
  assert.match(att, /Subject: Contract draft/);
});

test("attachments by picker and by drag and drop, a pasted image as an inline cid: part, the size limit enforced", async () => {
  await page.goto("/mail/compose?to=bob@example.test");
  await page.fill('[data-testid="compose-subject"]', "Files for you");
  await page.setInputFiles('[data-testid="compose-file"]', { name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("picked file") });
  await page.evaluate(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(["dropped file"], "dropped.txt", { type: "text/plain" }));
    document.querySelector('[data-testid="compose-form"]')!.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
  });
  await page.locator('[data-testid="compose-attachments"]', { hasText: "dropped.txt" }).waitFor();
  // A 1x1 PNG pasted into the body.
  await page.locator('[data-testid="compose-body"]').click();
  await page.evaluate(() => {
    const png = Uint8Array.from(atob("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([png], "pasted.png", { type: "image/png" }));
    document.querySelector('[data-testid="compose-body"]')!.dispatchEvent(new ClipboardEvent("paste", { clipboardData: dt, bubbles: true, cancelable: true }));
  });
  await page.locator('[data-testid="compose-body"] img[alt="pasted.png"]').waitFor();
  await page.setInputFiles('[data-testid="compose-file"]', { name: "huge.bin", mimeType: "application/octet-stream", buffer: Buffer.alloc(MAX_MESSAGE_SIZE) });
  await page.locator('[data-testid="compose-error"]', { hasText: "at most" }).waitFor();
  assert.equal(await page.locator('[data-testid="compose-attachments"]', { hasText: "huge.bin" }).count(), 0, "the over-limit file was not added");
  await shot("compose-attachments");
  await page.click('[data-testid="compose-send"]');
  await page.locator('[data-testid="send-status"]').waitFor();
  const raw = await rawOf((await received(bobId, "Files for you")).blobHash);
  assert.match(raw, /filename=notes\.txt/);
  assert.match(raw, /filename=dropped\.txt/);
  assert.match(raw, /Content-Type: multipart\/related/i);
  const cid = /<img[^>]*src=(?:3D)?"cid:([^"]+)"/.exec(raw.replace(/=\r\n/g, ""))?.[1];
  assert.ok(cid, "the pasted image is referenced by cid:");
  assert.match(raw, new RegExp(`Content-ID: <${cid!.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}>`, "i"));
});

test("drafts save themselves into Drafts (an IMAP client sees them), reopen with ?draft=, and sending removes them", async () => {
  await page.goto("/mail/compose");
  await page.fill('[data-testid="compose-to"]', "bob@example.test");
  await page.fill('[data-testid="compose-subject"]', "Draft of a plan");
  await typeBody("First idea.");
  await page.locator('[data-testid="compose-status"]', { hasText: "Draft saved" }).waitFor();
  await typeBody(" Second idea.");
  await waitFor("the second version", async () => {
    const d = await inFolder(aliceId, "Drafts", "Draft of a plan");
    return d.length === 1 && (await rawOf(d[0].blobHash)).includes("Second idea") ? d : null;
  });
  const [draft] = await inFolder(aliceId, "Drafts", "Draft of a plan");
  assert.equal(draft.draft, true);

  const imap = new ImapFlow({ host: "127.0.0.1", port: engine.imap.ports.imap!, secure: false, auth: { user: "alice@example.test", pass: PASSWORD }, logger: false, tls: { rejectUnauthorized: false } });
  await imap.connect();
  const lock = await imap.getMailboxLock("Drafts");
  const seenOverImap: string[] = [];
  for await (const m of imap.fetch("1:*", { envelope: true, flags: true })) if (m.flags?.has("\\Draft")) seenOverImap.push(m.envelope?.subject ?? "");
  lock.release();
  await imap.logout();
  assert.deepEqual(seenOverImap, ["Draft of a plan"], "one version, with \\Draft, over IMAP");

  await page.goto(`/mail/compose?draft=${draft.id}`);
  assert.equal(await page.locator('[data-testid="compose-subject"]').inputValue(), "Draft of a plan");
  assert.match(await page.locator('[data-testid="compose-to"]').inputValue(), /bob@example\.test/);
  await page.locator('[data-testid="compose-body"]', { hasText: "Second idea." }).waitFor();
  await shot("compose-draft");
  await page.click('[data-testid="compose-send"]');
  await page.locator('[data-testid="send-status"]').waitFor();
  await received(bobId, "Draft of a plan");
  await waitFor("the draft to go", async () => (await inFolder(aliceId, "Drafts", "Draft of a plan")).length === 0);
});

test("undo send: the message never leaves and reopens as a draft", async () => {
  await undoSeconds(aliceId, 10);
  await page.goto("/mail/compose?to=bob@example.test");
  await page.click('[data-testid="show-cc"]');
  await page.fill('[data-testid="compose-bcc"]', "bob@example.test");
  await page.fill('[data-testid="compose-subject"]', "Angry reply");
  await typeBody("I take it back.");
  await page.click('[data-testid="compose-send"]');
  await page.locator('[data-testid="send-status-text"]', { hasText: /Sending in \d+ s/ }).waitFor();
  await shot("compose-undo");
  assert.equal(await t.db.pendingSend.count({ where: { subject: "Angry reply" } }), 1);
  await page.click('[data-testid="undo-send"]');
  await page.waitForURL(/\/mail\/compose\?draft=/);
  assert.equal(await page.locator('[data-testid="compose-subject"]').inputValue(), "Angry reply");
  assert.equal(await page.locator('[data-testid="compose-bcc"]').inputValue(), "bob@example.test", "the reopened draft keeps its Bcc");
  assert.equal(await t.db.pendingSend.count({ where: { subject: "Angry reply" } }), 0);
  assert.equal((await inFolder(aliceId, "Drafts", "Angry reply")).length, 1);
  await sleep(1500);
  assert.equal((await inFolder(bobId, "INBOX", "Angry reply")).length, 0);
  assert.equal((await inFolder(aliceId, "Sent", "Angry reply")).length, 0);
});

test("scheduled send: tomorrow at 8:00, kept in the database, sent when due by a restarted engine", async () => {
  await page.goto("/mail/compose?to=bob@example.test");
  await page.fill('[data-testid="compose-subject"]', "Good morning");
  await typeBody("Sent while you slept.");
  await page.click('[data-testid="compose-schedule"]');
  await shot("compose-schedule");
  await page.click('[data-testid="schedule-tomorrow"]');
  await page.locator('[data-testid="send-status-text"]', { hasText: "Scheduled for" }).waitFor();
  const row = await t.db.pendingSend.findFirstOrThrow({ where: { subject: "Good morning" } });
  const expected = await page.evaluate(() => {
    const d = new Date();
    d.setDate(d.getDate() + 1);
    d.setHours(8, 0, 0, 0);
    return d.toISOString();
  });
  assert.equal(row.sendAt.toISOString(), expected);

  await page.goto("/settings/writing");
  await page.locator('[data-testid="scheduled-list"] li', { hasText: "Good morning" }).waitFor();
  await shot("settings-scheduled");

  await engine.stop();
  // Tomorrow morning has come while the engine was down.
  await t.db.pendingSend.update({ where: { id: row.id }, data: { sendAt: new Date(Date.now() - 1000) } });
  await sleep(1200);
  assert.equal((await inFolder(bobId, "INBOX", "Good morning")).length, 0);
  engine = await start();
  const got = await received(bobId, "Good morning");
  assert.equal(got.queueId, row.id);
  assert.equal(await t.db.pendingSend.count({ where: { id: row.id } }), 0);
});

test("settings: a signature per identity appears in new messages; undo send at 0 s sends at once", async () => {
  await page.goto("/settings/writing");
  const form = page.locator('[data-testid="identity-form"]', { hasText: "alice@example.test" });
  await form.locator('[data-testid="signature"]').fill("Alice Example\nACME Ltd");
  await form.locator('button[type="submit"]').click();
  await waitFor("the signature to be saved", async () => (await t.db.identity.findFirst({ where: { accountId: aliceId, address: "alice@example.test" } }))?.signature === "Alice Example\nACME Ltd");
  await page.fill('[data-testid="undo-seconds"]', "0");
  await page.click('[data-testid="save-undo"]');
  await waitFor("the undo delay to be saved", async () => (await t.db.account.findUnique({ where: { id: aliceId } }))?.undoSendSeconds === 0);
  await shot("settings-writing");

  await page.goto("/mail/compose?to=bob@example.test");
  await page.locator('[data-testid="compose-body"]', { hasText: "ACME Ltd" }).waitFor();
  await page.fill('[data-testid="compose-subject"]', "With a signature");
  await page.click('[data-testid="compose-send"]');
  await page.locator('[data-testid="send-status-text"]', { hasText: "Message sent." }).waitFor();
  const raw = await rawOf((await waitFor("the message", async () => (await inFolder(bobId, "INBOX", "With a signature"))[0], 2000)).blobHash);
  assert.match(raw, /\n-- \r?\nAlice Example\r?\nACME Ltd/, "the text part has the signature after the -- separator");
});

test("another user's messages are out of reach; a cross-site POST is refused", async () => {
  const bobs = await t.db.message.findFirstOrThrow({ where: { accountId: bobId, mailbox: { name: "INBOX" } } });
  await page.goto(`/mail/compose?reply=${bobs.id}`);
  assert.equal(await page.locator('[data-testid="compose-subject"]').inputValue(), "");
  await page.goto(`/mail/compose?draft=${bobs.id}`);
  assert.equal(await page.locator('[data-testid="compose-subject"]').inputValue(), "");
  const cookie = (await alice.cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
  const form = `--x\r\nContent-Disposition: form-data; name="action"\r\n\r\nsend\r\n--x\r\nContent-Disposition: form-data; name="from"\r\n\r\nalice@example.test\r\n--x\r\nContent-Disposition: form-data; name="to"\r\n\r\nbob@example.test\r\n--x\r\nContent-Disposition: form-data; name="subject"\r\n\r\ncross-site\r\n--x--\r\n`;
  const headers = { cookie, "content-type": "multipart/form-data; boundary=x" };
  const evil = await app.rawRequest("127.0.0.1", "POST", "/api/compose", { ...headers, origin: "http://evil.example" }, form);
  assert.equal(evil.status, 403);
  const noSession = await app.rawRequest("127.0.0.1", "POST", "/api/compose", { "content-type": "multipart/form-data; boundary=x", origin: app.base }, form);
  assert.equal(noSession.status, 401);
  // The page's own fetch, with bob's address as From: refused as SMTP submission would.
  const forged = await page.evaluate(async () => {
    const f = new FormData();
    for (const [k, v] of Object.entries({ action: "send", from: "bob@example.test", to: "bob@example.test", subject: "cross-site", mode: "plain", text: "x" })) f.set(k, v);
    const res = await fetch("/api/compose", { method: "POST", body: f });
    return { status: res.status, body: (await res.json()) as { error: string } };
  });
  assert.equal(forged.status, 422);
  assert.match(forged.body.error, /not yours/);
  assert.equal((await inFolder(bobId, "INBOX", "cross-site")).length, 0);
  const contacts = await app.rawRequest("127.0.0.1", "GET", "/api/contacts?q=carol", {});
  assert.equal(contacts.status, 401);
});

test("a scheduled message can be cancelled from the Writing settings and reopens as a draft", async () => {
  await page.goto("/mail/compose?to=bob@example.test");
  await page.fill('[data-testid="compose-subject"]', "Maybe later");
  await page.click('[data-testid="compose-schedule"]');
  await page.click('[data-testid="schedule-tomorrow"]');
  await page.locator('[data-testid="send-status-text"]', { hasText: "Scheduled for" }).waitFor();
  await page.goto("/settings/writing");
  await page.locator('[data-testid="scheduled-list"] li', { hasText: "Maybe later" }).locator('[data-testid="cancel-scheduled"]').click();
  await page.waitForURL(/\/mail\/compose\?draft=/);
  assert.equal(await page.locator('[data-testid="compose-subject"]').inputValue(), "Maybe later");
  assert.equal(await t.db.pendingSend.count({ where: { subject: "Maybe later" } }), 0);
});

test("the compose screen: no serious or critical axe violations, usable on a phone", async () => {
  const axe = fs.readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
  for (const url of ["/mail/compose", "/settings/writing"]) {
    await page.goto(url);
    await page.waitForLoadState("networkidle");
    // Through the DevTools protocol: the page's CSP would refuse an injected <script>.
    await page.evaluate(axe);
    const violations = await page.evaluate(async () => {
      const r = await (window as unknown as { axe: { run(): Promise<{ violations: Array<{ id: string; impact: string; nodes: unknown[] }> }> } }).axe.run();
      return r.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id} (${v.nodes.length})`);
    });
    assert.deepEqual(violations, [], url);
  }
  const phone = await app.browser.newContext({ baseURL: app.base, viewport: { width: 390, height: 844 }, storageState: await alice.storageState() });
  const p = await phone.newPage();
  await p.goto("/mail/compose");
  await p.locator('[data-testid="compose-body"]').waitFor();
  const width = await p.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `no horizontal scrolling on a phone (${width} px)`);
  await p.screenshot({ path: path.join(SHOTS, "compose-phone.png"), fullPage: true });
  await phone.close();
});

test("plain-text mode sends text/plain alone; reply all copies the other recipients but not oneself", async () => {
  await undoSeconds(aliceId, 0);
  await page.goto("/mail/compose?to=bob@example.test");
  await page.fill('[data-testid="compose-subject"]', "Plain and simple");
  await page.click('[data-testid="compose-mode"]');
  await page.fill('[data-testid="compose-text"]', "No formatting here.\n*not bold*");
  await page.click('[data-testid="compose-send"]');
  await page.locator('[data-testid="send-status"]').waitFor();
  const raw = await rawOf((await received(bobId, "Plain and simple")).blobHash);
  assert.match(headerOf(raw, "Content-Type"), /^text\/plain/);
  assert.match(raw, /No formatting here\.\r\n\*not bold\*/);

  await mx({ from: "Bob <bob@example.test>", to: "alice@example.test, carol@remote.example", cc: "Dave <dave@remote.example>", subject: "Team lunch", text: "Who is in?" });
  const original = await received(aliceId, "Team lunch");
  await page.goto(`/mail/INBOX/${original.id}`);
  await page.locator('[data-testid="compose-replyAll"]').click();
  await page.waitForURL(/\/mail\/compose\?replyAll=/);
  assert.equal(await page.locator('[data-testid="compose-to"]').inputValue(), "Bob <bob@example.test>");
  assert.equal(await page.locator('[data-testid="compose-cc"]').inputValue(), "carol@remote.example, Dave <dave@remote.example>");
  await page.locator('[data-testid="compose-body"] p').first().click();
  await page.keyboard.type("Count me in.");
  await page.keyboard.press("Control+Enter");
  await page.locator('[data-testid="send-status"]').waitFor();
  const reply = await received(bobId, "Re: Team lunch");
  const queued = await t.db.outboundMessage.findUnique({ where: { id: reply.queueId }, include: { recipients: true } });
  assert.deepEqual(queued?.recipients.map((r) => r.address).sort(), ["carol@remote.example", "dave@remote.example"], "remote recipients wait in the outbound queue");
});

test("From offers the user's aliases; switching identity switches the signature; the message leaves from the alias", async () => {
  await addAlias(t.db, "billing@example.test", "alice@example.test", "test");
  await t.db.identity.upsert({ where: { accountId_address: { accountId: aliceId, address: "alice@example.test" } }, create: { accountId: aliceId, address: "alice@example.test", signature: "Alice Example" }, update: { signature: "Alice Example" } });
  await t.db.identity.create({ data: { accountId: aliceId, address: "billing@example.test", displayName: "ACME Billing", signature: "The billing team" } });
  await page.goto("/mail/compose?to=bob@example.test");
  await page.locator('[data-testid="compose-body"]', { hasText: "Alice Example" }).waitFor();
  await page.selectOption('[data-testid="compose-from"]', "billing@example.test");
  await page.locator('[data-testid="compose-body"]', { hasText: "The billing team" }).waitFor();
  assert.doesNotMatch(await page.locator('[data-testid="compose-body"]').innerText(), /Alice Example/);
  await page.fill('[data-testid="compose-subject"]', "Your invoice");
  await page.click('[data-testid="compose-send"]');
  await page.locator('[data-testid="send-status"]').waitFor();
  const raw = await rawOf((await received(bobId, "Your invoice")).blobHash);
  assert.equal(headerOf(raw, "From"), "ACME Billing <billing@example.test>");
  assert.match(headerOf(raw, "Return-Path"), /<billing@example\.test>/);
});
