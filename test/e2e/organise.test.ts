/**
 * Reading and organising in a real browser: the built app over a test engine, mail sent
 * in over SMTP, Chromium through playwright-core. Selection and bulk move with undo,
 * the keyboard set, search with operators, folders, a live update from an IMAP client,
 * a phone-sized viewport, security headers and the server actions' Origin check, and
 * axe-core on the main screens (no serious or critical violations).
 * Screenshots go to WEB_TEST_SCREENSHOTS=<dir> when set (organise-*.png).
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import nodemailer from "nodemailer";
import type { Page } from "playwright-core";
import { startTestEngine, PASSWORD, type TestEngine } from "../helpers/engine";
import { startWebApp, WAIT_MS, type WebApp } from "../helpers/web-app";
import { imapflow } from "../helpers/imap";

let t: TestEngine;
let app: WebApp;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const AXE = fs.readFileSync(path.resolve(import.meta.dirname, "../../node_modules/axe-core/axe.min.js"), "utf8");
const SUBJECTS = ["Organise one", "Organise two", "Organise three", "Organise four", "Organise five"];

function send(mail: nodemailer.SendMailOptions) {
  const tr = nodemailer.createTransport({ host: "127.0.0.1", port: t.mxPort, secure: false, tls: { rejectUnauthorized: false } });
  return tr.sendMail(mail).finally(() => tr.close());
}

async function shot(page: Page, name: string): Promise<void> {
  const dir = process.env.WEB_TEST_SCREENSHOTS;
  if (dir) await page.screenshot({ path: path.join(dir, `organise-${name}.png`), fullPage: true });
}

/** axe-core in the page (evaluated over the DevTools protocol: the page's CSP allows no injected script). */
async function axe(page: Page, screen: string): Promise<void> {
  // The title arrives with the page's metadata, which a refresh (marking the message read)
  // streams again: wait for it, as a screen reader announces it once it is there.
  await page.waitForFunction(() => document.title.trim() !== "", undefined, { timeout: WAIT_MS });
  await page.evaluate(AXE);
  const found = (await page.evaluate(`axe.run(document, { resultTypes: ["violations"] }).then(r => r.violations.map(v => ({ id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(" ")).slice(0, 3) })))`)) as Array<{ id: string; impact: string; nodes: string[] }>;
  const bad = found.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(bad, [], `${screen}: ${JSON.stringify(bad)}`);
}

async function folderOf(subject: string): Promise<string[]> {
  const rows = await t.db.message.findMany({ where: { subject, account: { email: "alice@example.test" } }, select: { mailbox: { select: { name: true } } } });
  return rows.map((r) => r.mailbox.name).sort();
}

async function waitFor(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** The page's keys are live (hydrated). */
const keysReady = (page: Page) => page.locator('html[data-keys="ready"]').waitFor({ state: "attached" });
/** A signed-in page on the Inbox with its keys live, in a context of its own (optionally sized). */
async function openInbox(viewport?: { width: number; height: number }) {
  const ctx = await app.newContext();
  const page = await ctx.newPage();
  if (viewport) await page.setViewportSize(viewport);
  await app.signIn(page, "alice@example.test", PASSWORD);
  await page.waitForURL(/\/mail\/INBOX$/);
  await keysReady(page);
  return { ctx, page };
}

const rows = (page: Page) => page.getByTestId("message-row");
const row = (page: Page, subject: string) => page.locator('[data-testid="message-row"]', { hasText: subject });

before(async () => {
  t = await startTestEngine();
  // A conversation, older than the rest (the list tests count rows from the newest).
  await send({ from: "erin@remote.example", to: "alice@example.test", subject: "Picnic", messageId: "<picnic-1@remote.example>", text: "Saturday?" });
  await send({ from: "erin@remote.example", to: "alice@example.test", subject: "Re: Picnic", messageId: "<picnic-2@remote.example>", inReplyTo: "<picnic-1@remote.example>", references: ["<picnic-1@remote.example>"], text: "Bring a blanket" });
  for (const subject of SUBJECTS) await send({ from: '"Dave Sender" <dave@remote.example>', to: "alice@example.test", subject, text: `Body of ${subject.toLowerCase()}` });
  await send({
    from: '"Carol Budget" <carol@remote.example>',
    to: "alice@example.test",
    subject: "Budget with numbers",
    text: "The quarterly budget is attached.",
    attachments: [{ filename: "budget-2026.pdf", content: Buffer.from("%PDF-1.4 x"), contentType: "application/pdf" }],
  });
  app = await startWebApp(t, { MAIL_HOSTNAME: "mail.example.test", POP3_PORT: "0" });
});

after(async () => {
  await app?.stop();
  await t?.stop();
});

test("list: select with click and shift-click, move to a new folder, undo with z; archive with e, undo from the toast", async () => {
  const { ctx, page } = await openInbox();
  await shot(page, "inbox");
  await axe(page, "Inbox");

  // A folder of one's own, made from the folder list.
  await page.getByTestId("new-folder").click();
  await page.getByTestId("new-folder-name").fill("Projects/Acme");
  await page.getByTestId("new-folder-name").press("Enter");
  await page.waitForURL(/\/mail\/Projects%2FAcme$/);
  assert.match((await page.getByTestId("empty-folder").textContent()) ?? "", /Move messages here/);
  assert.equal(await page.getByTestId("folder-Projects").count(), 1, "the parent is listed");
  await page.getByTestId("folder-INBOX").click();
  await page.waitForURL(/\/mail\/INBOX$/);
  await keysReady(page);

  // Newest first: "Budget", five, four, three, ...
  const first = page.getByTestId("row-select");
  await first.nth(1).click();
  await first.nth(3).click({ modifiers: ["Shift"] });
  assert.equal(await page.getByTestId("selected-count").textContent(), "3 selected");
  await page.getByTestId("bulk-move").selectOption("Projects/Acme");
  await page.getByTestId("toast-text").filter({ hasText: "3 messages moved to Projects/Acme" }).waitFor();
  await waitFor("the move", async () => (await folderOf("Organise five"))[0] === "Projects/Acme");
  assert.deepEqual(await folderOf("Organise three"), ["Projects/Acme"]);
  assert.deepEqual(await folderOf("Organise two"), ["INBOX"]);
  await row(page, "Organise five").waitFor({ state: "detached" });
  await shot(page, "after-move");

  await page.keyboard.press("z");
  await waitFor("the undo", async () => (await folderOf("Organise five"))[0] === "INBOX" && (await folderOf("Organise three"))[0] === "INBOX");
  await row(page, "Organise five").waitFor();

  // Keyboard: j/k move the cursor, x selects, e archives (undo with the toast's button).
  await page.locator('[data-row-index="0"] a').focus();
  await page.keyboard.press("j");
  await page.keyboard.press("j");
  await page.keyboard.press("k");
  await page.keyboard.press("x");
  assert.equal(await page.getByTestId("selected-count").textContent(), "1 selected");
  const chosen = (await page.locator('[data-row-index="1"] [data-testid="message-subject"]').textContent()) ?? "";
  await page.keyboard.press("e");
  await waitFor("the archive", async () => (await folderOf(chosen))[0] === "Archive");
  await page.getByTestId("toast-undo").click();
  await waitFor("the undo from the toast", async () => (await folderOf(chosen))[0] === "INBOX");

  // Shift+i / Shift+u on the cursor row, s stars it.
  await row(page, chosen).waitFor();
  await page.locator('[data-row-index="0"] a').focus();
  await page.keyboard.press("Shift+I");
  const top = (await page.locator('[data-row-index="0"] [data-testid="message-subject"]').textContent()) ?? "";
  const flags = async () => t.db.message.findFirstOrThrow({ where: { subject: top, account: { email: "alice@example.test" } }, select: { seen: true, flagged: true } });
  await waitFor("read", async () => (await flags()).seen);
  await page.keyboard.press("Shift+U");
  await waitFor("unread", async () => !(await flags()).seen);
  await page.keyboard.press("s");
  await waitFor("starred", async () => (await flags()).flagged);

  // ? lists the keys; Escape closes the list.
  await page.keyboard.press("?");
  await page.getByTestId("shortcuts-dialog").waitFor();
  assert.match((await page.getByTestId("shortcuts-dialog").textContent()) ?? "", /Archive.*Delete \(to Trash\)/s);
  await shot(page, "shortcuts");
  await axe(page, "shortcuts list");
  await page.keyboard.press("Escape");
  await page.getByTestId("shortcuts-dialog").waitFor({ state: "detached" });

  // g then s: starred messages, across folders.
  await page.keyboard.press("g");
  await page.keyboard.press("s");
  await page.waitForURL(/\/mail\/search\?q=/);
  await row(page, top).waitFor();
  await ctx.close();
});

test("search: operators, results across folders with the folder named and the match highlighted; / focuses the box", async () => {
  const { ctx, page } = await openInbox();
  await page.keyboard.press("/");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "search-box");
  await page.keyboard.type("from:carol has:attachment budget");
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/mail\/search\?q=/);
  await row(page, "Budget with numbers").waitFor();
  assert.equal(await rows(page).count(), 1);
  assert.equal(await page.getByTestId("search-total").textContent(), "1 result");
  assert.equal(await page.locator('[data-testid="message-subject"] mark').first().textContent(), "Budget");
  await shot(page, "search");
  await axe(page, "search results");

  await page.goto(`/mail/search?q=${encodeURIComponent('filename:budget-2026 OR subject:"Organise four"')}`);
  await row(page, "Organise four").waitFor();
  assert.equal(await rows(page).count(), 2);
  await page.goto(`/mail/search?q=${encodeURIComponent("Organise -four is:unread")}`);
  await row(page, "Organise one").waitFor();
  assert.equal(await row(page, "Organise four").count(), 0);
  await page.goto(`/mail/search?q=${encodeURIComponent("in:Nowhere x")}`);
  assert.match((await page.locator("main").textContent()) ?? "", /There is no folder named “Nowhere”/);

  // A message moved to Trash is found with in:anywhere only, and shows its folder.
  const id = (await t.db.message.findFirstOrThrow({ where: { subject: "Organise one", account: { email: "alice@example.test" } } })).id;
  await page.goto(`/mail/INBOX/${id}`);
  await keysReady(page);
  await page.getByTestId("message-trash").click();
  await page.waitForURL(/\/mail\/INBOX$/);
  await page.goto(`/mail/search?q=${encodeURIComponent("organise one")}`);
  assert.equal(await row(page, "Organise one").count(), 0);
  await page.goto(`/mail/search?q=${encodeURIComponent("organise one in:anywhere")}`);
  assert.equal(await row(page, "Organise one").locator('[data-testid="message-folder"]').textContent(), "Trash");
  await page.getByTestId("folder-Trash").click();
  await page.waitForURL(/\/mail\/Trash$/);
  await page.getByTestId("select-all").check();
  await page.getByTestId("bulk-junk").click(); // Trash to Junk, then the empty Trash speaks of deleted mail
  await page.getByTestId("empty-folder").waitFor();
  assert.doesNotMatch((await page.getByTestId("empty-folder").textContent()) ?? "", /New mail will show up here/);
  await ctx.close();
});

test("an open page shows mail an IMAP client appends, within two seconds, without a reload", async () => {
  const { ctx, page } = await openInbox();
  await sleep(300); // the event stream connects after hydration
  const imap = await imapflow(t.imapPort, "alice@example.test");
  try {
    await imap.append("INBOX", "From: imap@remote.example\r\nTo: alice@example.test\r\nSubject: Appended over IMAP\r\n\r\nhello\r\n");
    // From the commit (the APPEND's OK) to the row on screen. Issue 14's target is 2 s; the
    // bound here leaves room for a loaded machine, and the figure is printed.
    const started = Date.now();
    await row(page, "Appended over IMAP").waitFor({ timeout: 10_000 });
    const took = Date.now() - started;
    console.log(`IMAP APPEND to the row on screen: ${took} ms`);
    assert.ok(took < 5000, `${took} ms`);
    // Screen readers hear it (a polite live region).
    await page.getByTestId("new-mail-announcement").filter({ hasText: "New mail in Inbox" }).waitFor({ state: "attached" });
  } finally {
    await imap.logout();
  }
  await ctx.close();
});

test("a message opens in place of the list (its JSON needs the session and the owner); Back shows the list as it was, Forward and a reload open it again; j and k move to the next and previous message", async () => {
  const { ctx, page } = await openInbox();
  await page.locator("li", { has: row(page, "Organise four") }).getByTestId("row-select").click();
  await page.getByTestId("selected-count").filter({ hasText: "1 selected" }).waitFor();
  const id = (await row(page, "Organise three").getAttribute("data-message-id")) ?? "";
  assert.match(id, /^[a-z0-9]+$/);
  // The rows below and above it, for j and k.
  const listed = await rows(page).evaluateAll((els) => els.map((e) => ({ id: e.getAttribute("data-message-id") ?? "", subject: e.querySelector('[data-testid="message-subject"]')?.textContent ?? "" })));
  const at = listed.findIndex((r) => r.id === id);
  const [below, above] = [listed[at + 1], listed[at - 1]];
  assert.ok(below && above, "Organise three has a row below and above it");

  await row(page, "Organise three").click();
  await page.getByTestId("message-subject-heading").filter({ hasText: "Organise three" }).waitFor();
  await page.waitForURL(new RegExp(`/mail/INBOX\\?open=${id}$`));
  assert.equal(await page.locator(`[data-testid="message-body"][data-message-id="${id}"]`).count(), 1);
  assert.equal(await page.getByTestId("message-list").isVisible(), false, "the list is kept, hidden");
  assert.equal(await page.getByTestId("folder-title").isVisible(), false);
  await waitFor("the opened message to be marked read", async () => (await t.db.message.findFirst({ where: { id }, select: { seen: true } }))?.seen === true);
  // The title is the message's, also once the list refreshed after marking it read (the server's title follows ?open=).
  await page.waitForFunction(() => document.title === "Organise three · Mail", undefined, { timeout: WAIT_MS });

  await page.goBack();
  await page.waitForURL(/\/mail\/INBOX$/);
  await page.getByTestId("message-list").waitFor();
  assert.equal(await page.getByTestId("selected-count").textContent(), "1 selected", "the list was not loaded again");
  await page.locator(`[data-testid="message-row"][data-message-id="${id}"][data-unread="false"]`).waitFor();
  await page.goForward();
  await page.getByTestId("message-subject-heading").filter({ hasText: "Organise three" }).waitFor();
  await page.reload();
  await page.getByTestId("message-subject-heading").filter({ hasText: "Organise three" }).waitFor();
  assert.equal(await page.getByTestId("message-list").isVisible(), false);
  assert.equal(await page.title(), "Organise three · Mail", "the server's title follows ?open=");

  // j and k: the message below and above, in the pane; on the message's own page, its page.
  await keysReady(page);
  await page.keyboard.press("j");
  await page.getByTestId("message-subject-heading").filter({ hasText: below.subject }).waitFor();
  await page.waitForURL(new RegExp(`open=${below.id}$`));
  await page.keyboard.press("k");
  await page.getByTestId("message-subject-heading").filter({ hasText: "Organise three" }).waitFor();
  await page.keyboard.press("k");
  await page.getByTestId("message-subject-heading").filter({ hasText: above.subject }).waitFor();
  // Opening marks the message read (a server action, then a refresh of the page): a
  // navigation started meanwhile can be aborted by it, so it is tried again.
  for (let attempt = 1; ; attempt++) {
    try {
      await page.goto(`/mail/INBOX/${id}`);
      break;
    } catch (err) {
      if (attempt >= 3 || !/ERR_ABORTED/.test(String(err))) throw err;
    }
  }
  await keysReady(page);
  await page.keyboard.press("j");
  await page.waitForURL(new RegExp(`/mail/INBOX/${below.id}$`));
  await page.getByTestId("message-subject-heading").filter({ hasText: below.subject }).waitFor();
  // The new page's keys are live once its effects ran: press again until it goes (bounded by waitFor).
  await waitFor("k to go back up", async () => {
    if (new URL(page.url()).pathname === `/mail/INBOX/${id}`) return true;
    await page.keyboard.press("k");
    await page.waitForURL(new RegExp(`/mail/INBOX/${id}$`), { timeout: 1000 }).catch(() => undefined);
    return new URL(page.url()).pathname === `/mail/INBOX/${id}`;
  });

  // The pane's source: the signed-in owner's message only, never cached.
  const res = await page.request.get(`/api/messages/${id}`);
  assert.equal(res.status(), 200);
  assert.equal(res.headers()["cache-control"], "no-store");
  const body = (await res.json()) as { id: string; subject: string; srcDoc: string; rendered: { html: string | null } };
  assert.equal(body.subject, "Organise three");
  assert.equal(body.id, id);
  assert.equal(body.rendered.html, null, "a text-only message has no HTML, so no frame document");
  assert.equal(body.srcDoc, "");
  assert.equal((await page.request.get("/api/messages/doesnotexist")).status(), 404);
  const bob = await app.newContext();
  await app.signIn(await bob.newPage(), "bob@example.test", PASSWORD);
  await waitFor("bob to be signed in", async () => (await bob.cookies()).some((c) => c.name.includes("session-token")));
  assert.equal((await bob.request.get(`/api/messages/${id}`)).status(), 404, "another account's message is not found");
  await bob.close();
  const anonymous = await app.newContext();
  assert.equal((await anonymous.request.get(`/api/messages/${id}`)).status(), 401);
  await anonymous.close();
  await ctx.close();
});

test("a phone-sized screen: one pane, the folder bar scrolls and fades where more folders follow, no sideways page", async () => {
  const { ctx, page } = await openInbox({ width: 390, height: 844 });
  const bar = page.getByTestId("folder-bar");
  const [scrollWidth, clientWidth] = await bar.evaluate((el) => [el.scrollWidth, el.clientWidth]);
  assert.ok(scrollWidth > clientWidth, "the folders do not fit: the bar scrolls");
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), "the page itself does not scroll sideways");
  await shot(page, "phone-inbox");
  await axe(page, "phone Inbox");
  await rows(page).first().click();
  await page.waitForURL(/\/mail\/INBOX\?open=[a-z0-9]+$/);
  await page.getByTestId("message-subject-heading").waitFor();
  await shot(page, "phone-message");
  await axe(page, "phone message");
  await ctx.close();
});

test("wide screen: three panes (folders, list, message); dark theme by choice; show original as text", async () => {
  const { ctx, page } = await openInbox({ width: 1440, height: 900 });
  await rows(page).first().press("Enter");
  await page.waitForURL(/\/mail\/INBOX\?open=[a-z0-9]+$/);
  const heading = page.getByTestId("message-subject-heading");
  await heading.waitFor();
  const folders = await page.getByRole("navigation", { name: "Folders" }).boundingBox();
  const list = await page.getByTestId("side-list").boundingBox();
  const body = await heading.boundingBox();
  assert.ok(folders && list && body && folders.x < list.x && list.x + list.width <= body.x, "folders, list and message side by side");
  assert.equal(await page.getByTestId("side-list").locator('[aria-current="page"]').count(), 1, "the open message is marked in the list");
  await shot(page, "three-panes");
  await axe(page, "message (three panes)");

  const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const light = await background();
  await page.getByTestId("theme").selectOption("dark");
  await waitFor("the dark theme", async () => (await background()) !== light);
  await page.reload();
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "dark", "the choice is kept (cookie) and rendered by the server");
  await shot(page, "three-panes-dark");
  await axe(page, "message, dark");
  await page.getByTestId("theme").selectOption("system");

  const href = await page.getByTestId("message-original").getAttribute("href");
  const original = await page.request.get(href!);
  assert.equal(original.status(), 200);
  assert.match(original.headers()["content-type"], /^text\/plain/);
  assert.equal(original.headers()["content-security-policy"], "default-src 'none'; sandbox");
  assert.match(await original.text(), /^Return-Path:|^Received:|^From:|^Content-Type:|^[A-Za-z-]+: /m);
  assert.match(await original.text(), /Subject: /);
  await ctx.close();
});

test("conversations view: a thread is one row with its count; the open message lists its conversation", async () => {
  const { ctx, page } = await openInbox();
  assert.equal(await row(page, "Picnic").count(), 2, "two messages in the messages view");
  // Oldest first: the conversation's first message (the oldest mail here) comes first.
  await page.getByTestId("sort").selectOption("oldest");
  await page.locator('[data-row-index="0"]', { hasText: "Picnic" }).waitFor();
  assert.equal(await page.locator('[data-row-index="0"] [data-testid="message-subject"]').textContent(), "Picnic");
  await page.getByTestId("sort").selectOption("newest");
  await page.locator('[data-row-index="0"]', { hasText: "Picnic" }).waitFor({ state: "detached" });
  await page.getByTestId("view-threads").click();
  await page.getByTestId("thread-count").first().waitFor();
  assert.equal(await row(page, "Picnic").count(), 1, "one conversation");
  assert.equal(await row(page, "Picnic").getByTestId("thread-count").textContent(), "2");
  await shot(page, "conversations");
  await axe(page, "conversations");
  await row(page, "Picnic").click();
  await page.getByTestId("thread").waitFor();
  assert.equal(await page.getByTestId("thread-item").count(), 2);
  await ctx.close();
});

test("drag messages onto a folder moves them (undo brings them back); timings of sign-in to Inbox and click to body", async () => {
  const ctx = await app.newContext();
  const page = await ctx.newPage();
  await page.goto("/login");
  await page.fill('input[name="email"]', "alice@example.test");
  await page.fill('input[name="password"]', PASSWORD);
  const loaded: string[] = [];
  page.on("request", (r) => r.isNavigationRequest() && loaded.push(new URL(r.url()).pathname));
  const t0 = Date.now();
  await page.click('button[type="submit"]');
  await rows(page).first().waitFor();
  const signIn = Date.now() - t0;
  assert.deepEqual(loaded, ["/mail/INBOX"], "signed in, the browser goes straight to the Inbox (not through / and its redirect)");
  await keysReady(page);
  const subject = "Organise two";
  await row(page, subject).dragTo(page.getByTestId("folder-Archive"));
  await page.getByTestId("toast-text").filter({ hasText: "1 message moved to Archive" }).waitFor();
  assert.deepEqual(await folderOf(subject), ["Archive"]);
  await row(page, subject).waitFor({ state: "detached" });
  await page.keyboard.press("z");
  await waitFor("the undo", async () => (await folderOf(subject))[0] === "INBOX");

  // Back in the Inbox (under a new UID, the same id): the refreshed list links to it.
  await row(page, subject).waitFor();
  const t1 = Date.now();
  await row(page, subject).click();
  await page.getByTestId("message-subject-heading").filter({ hasText: subject }).waitFor();
  const open = Date.now() - t1;
  // Figures for the report, not limits: this machine is shared (issue 14's targets: < 1 s and < 200 ms).
  console.log(`sign-in to Inbox list: ${signIn} ms; click to message body: ${open} ms`);
  await ctx.close();
});

test("security headers on pages; a server action from another origin is refused", async () => {
  const { ctx, page } = await openInbox();
  const res = await page.goto("/mail/INBOX");
  const h = res!.headers();
  assert.equal(h["referrer-policy"], "no-referrer");
  assert.match(h["content-security-policy"] ?? "", /frame-ancestors 'none'/);
  assert.doesNotMatch(h["content-security-policy"]?.match(/script-src[^;]*/)?.[0] ?? "", /unsafe-inline/);

  // Catch a real action request (star), then replay it from another origin.
  const target = (await page.locator('[data-row-index="0"] [data-testid="message-subject"]').textContent()) ?? "";
  const starred = async () => (await t.db.message.findFirstOrThrow({ where: { subject: target, account: { email: "alice@example.test" } } })).flagged;
  const before = await starred();
  const request = page.waitForRequest((r) => r.method() === "POST" && !!r.headers()["next-action"]);
  await page.locator('[data-row-index="0"] a').focus();
  await page.keyboard.press("s");
  const sent = await request;
  await waitFor("the star", async () => (await starred()) !== before);
  const headers = await sent.allHeaders();
  const cookie = (await ctx.cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
  const body = sent.postData() ?? "";
  const forged = await app.rawRequest("127.0.0.1", "POST", "/mail/INBOX", {
    "next-action": headers["next-action"],
    "content-type": headers["content-type"] ?? "text/plain;charset=UTF-8",
    accept: "text/x-component",
    origin: "http://evil.example",
    cookie,
  }, body);
  assert.notEqual(forged.status, 200, `status ${forged.status}`);
  await sleep(300);
  assert.equal(await starred(), !before, "the forged request changed nothing");
  await ctx.close();
});
