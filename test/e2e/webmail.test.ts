/**
 * Webmail in a real browser: the built Next.js app (served by scripts/web-server.mjs, as
 * `npm start` does) over the test engine's database, mail sent in over SMTP, driven with
 * Chromium through playwright-core; sign-in throttling and headers over plain HTTP from
 * other loopback addresses (127.0.0.x act as different clients).
 * Builds the app first when .next/BUILD_ID is missing or older than the sources (minutes
 * on two cores; WEB_TEST_REBUILD=0 uses whatever build there is).
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import type { AddressInfo } from "node:net";
import nodemailer from "nodemailer";
import type { Page } from "playwright-core";
import { startTestEngine, PASSWORD, type TestEngine } from "../helpers/engine";
import { startWebApp, WAIT_MS, type WebApp } from "../helpers/web-app";
import { addAccount } from "../../lib/directory";
import { openStore } from "../../lib/store";
import { newQueueId } from "../../lib/domain/ids";

const LOCKOUT_FAILURES = 3;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let t: TestEngine;
let app: WebApp;
let base = "";
let tracker: http.Server;
const trackerHits: string[] = [];
let trackerUrl = "";

const SUBJECT = "Quarterly numbers for the web test";
const BODY_TEXT = "The numbers look good this quarter.";
const PDF = Buffer.from("%PDF-1.4\n% fake pdf for the web test\n");
const DISGUISED = "<script>document.title='PWNED'</script>";
let aliceMessageUrl = "";


function send(mail: nodemailer.SendMailOptions) {
  const tr = nodemailer.createTransport({ host: "127.0.0.1", port: t.mxPort, secure: false, tls: { rejectUnauthorized: false } });
  return tr.sendMail(mail).finally(() => tr.close());
}

const newContext = (headers?: Record<string, string>) => app.newContext(headers);
const signIn = (page: Page, email: string, password: string) => app.signIn(page, email, password);
const rawRequest = (from: string, method: string, urlPath: string, headers: Record<string, string> = {}, body?: string) => app.rawRequest(from, method, urlPath, headers, body);

/**
 * A sign-in through next-auth's credentials endpoint, as its client does it (CSRF token,
 * then the form POST), from the given address. "ok" or the error code the login page gets.
 */
async function httpSignIn(from: string, email: string, password: string, headers: Record<string, string> = {}): Promise<string> {
  const csrf = await rawRequest(from, "GET", "/api/auth/csrf", headers);
  const cookie = (csrf.headers["set-cookie"] ?? []).map((c) => c.split(";")[0]).join("; ");
  const form = new URLSearchParams({ email, password, csrfToken: JSON.parse(csrf.body).csrfToken, callbackUrl: `${base}/mail/INBOX`, json: "true" });
  const res = await rawRequest(from, "POST", "/api/auth/callback/credentials", { ...headers, cookie, "content-type": "application/x-www-form-urlencoded" }, form.toString());
  const url = (res.body.startsWith("{") ? JSON.parse(res.body).url : undefined) ?? res.headers.location ?? "";
  const error = new URL(url, base).searchParams.get("error");
  if (error) return error;
  return (res.headers["set-cookie"] ?? []).some((c) => c.startsWith("next-auth.session-token=")) ? "ok" : `no session (HTTP ${res.status})`;
}

async function seen(subject: string, email = "alice@example.test"): Promise<boolean> {
  const m = await t.db.message.findFirstOrThrow({ where: { subject, account: { email } }, select: { seen: true } });
  return m.seen;
}

async function waitFor(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Screenshots for looking at the UI: WEB_TEST_SCREENSHOTS=<dir>. */
async function shot(page: Page, name: string): Promise<void> {
  const dir = process.env.WEB_TEST_SCREENSHOTS;
  if (dir) await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}

function row(page: Page, subject: string) {
  return page.locator('[data-testid="message-row"]', { hasText: subject });
}

async function fontWeight(page: Page, subject: string): Promise<number> {
  const weight = await row(page, subject).locator('[data-testid="message-subject"]').evaluate((el) => getComputedStyle(el).fontWeight);
  return Number(weight);
}

before(async () => {

  // A "remote server" that must never be contacted by the reader: remote images and CSS point here.
  tracker = http.createServer((req, res) => {
    trackerHits.push(req.url ?? "");
    res.end("x");
  });
  await new Promise<void>((r) => tracker.listen(0, "127.0.0.1", r));
  trackerUrl = `http://127.0.0.1:${(tracker.address() as AddressInfo).port}`;

  t = await startTestEngine();
  await addAccount(t.db, { email: "admin@example.test", password: PASSWORD, admin: true, displayName: "Admin" }, "test");
  await addAccount(t.db, { email: "carol@example.test", password: PASSWORD }, "test");

  await send({
    from: '"Remote Sender" <sender@remote.example>',
    to: "alice@example.test",
    cc: "bob@example.test",
    subject: SUBJECT,
    text: `${BODY_TEXT}\nSee the attachment.`,
    html:
      `<p id="body">${BODY_TEXT}</p><p>See the attachment.</p>` +
      `<script>document.body.setAttribute("data-pwned", "script"); parent.document.title = "PWNED";</script>` +
      `<img src="${trackerUrl}/pixel.gif" alt="pixel"><img src="x" onerror="document.body.setAttribute('data-pwned','onerror')">` +
      `<div style="background:url('${trackerUrl}/bg.png')">styled</div><style>@import url("${trackerUrl}/import.css"); p{color:#123456}</style>` +
      `<a href="javascript:document.body.setAttribute('data-pwned','link')" id="jslink">click me</a>`,
    attachments: [{ filename: "numbers.pdf", content: PDF, contentType: "application/pdf" }],
  });
  await send({ from: "second@remote.example", to: "alice@example.test", subject: "Second message", text: "second body" });
  await send({ from: "bob@example.test", to: "bob@example.test", subject: "Bob's own note", text: "bob body" });
  // A page in disguise: declared application/octet-stream, named .html.
  await send({
    from: "sender@remote.example",
    to: "bob@example.test",
    subject: "Disguised page",
    text: "see attached",
    attachments: [{ filename: "invoice.html", content: DISGUISED, contentType: "application/octet-stream" }],
  });
  // A nested folder (its name has a "/" and a space) with one message, filed by the store directly.
  const alice = await t.db.account.findUniqueOrThrow({ where: { email: "alice@example.test" } });
  const store = openStore(t.config, t.db);
  await store.createMailbox({ accountId: alice.id, name: "Work/Q1 reports" });
  await store.deliver({
    raw: Buffer.from("From: boss@example.test\r\nTo: alice@example.test\r\nSubject: Filed report\r\n\r\nfiled body\r\n"),
    queueId: newQueueId(),
    targets: [{ accountId: alice.id, mailbox: "Work/Q1 reports" }],
  });
  await store.close();

  app = await startWebApp(t, { AUTH_LOCKOUT_FAILURES: String(LOCKOUT_FAILURES), AUTH_FAILURE_DELAY_MS: "1", MAIL_HOSTNAME: "mail.example.test", POP3_PORT: "0" });
  base = app.base;
});

after(async () => {
  await app?.stop();
  await new Promise((r) => tracker?.close(r));
  await t?.stop();
});

test("without a session, pages go to /login and API routes answer 401", async () => {
  const page = await fetch(`${base}/mail/INBOX?page=2`, { redirect: "manual" });
  assert.ok([302, 303, 307].includes(page.status), `status ${page.status}`);
  const location = new URL(page.headers.get("location") ?? "", base);
  assert.equal(location.pathname, "/login");
  assert.equal(location.searchParams.get("callbackUrl"), "/mail/INBOX?page=2");

  const root = await fetch(`${base}/`, { redirect: "manual" });
  assert.equal(new URL(root.headers.get("location") ?? "", base).pathname, "/login");

  const api = await fetch(`${base}/api/folders`);
  assert.equal(api.status, 401);
  assert.equal((await fetch(`${base}/api/events`)).status, 401, "no event stream without a session");

  const forged = await fetch(`${base}/api/folders`, { headers: { cookie: "next-auth.session-token=forged" } });
  assert.equal(forged.status, 401, "a cookie that does not verify is no session");

  const login = await fetch(`${base}/login`);
  assert.equal(login.status, 200);
  const csp = login.headers.get("content-security-policy") ?? "";
  assert.match(csp, /script-src 'self' 'nonce-[^']+' 'strict-dynamic'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.equal(login.headers.get("x-content-type-options"), "nosniff");

  const secret = path.join(t.config.dataDir, "web-secret");
  assert.equal(fs.statSync(secret).mode & 0o777, 0o600, "the generated session key is private");
});

test("a wrong password shows the error and no session", async () => {
  const ctx = await newContext();
  try {
    const page = await ctx.newPage();
    await signIn(page, "alice@example.test", "not the password");
    await page.getByText("wrong email or password").waitFor();
    await shot(page, "login-error");
    assert.equal(new URL(page.url()).pathname, "/login");
    const throttle = await t.db.authThrottle.findUnique({ where: { key: "ip:127.0.0.1" } });
    assert.equal(throttle?.failures, 1, "the failure was counted against the client address");
  } finally {
    await ctx.close();
  }
});

test("alice reads her mail: inbox, message, sanitised HTML, attachment, read state, sign-out", async () => {
  const ctx = await newContext();
  try {
    const page = await ctx.newPage();
    const titles: string[] = [];
    page.on("framenavigated", async () => titles.push(await page.title().catch(() => "")));
    await signIn(page, "alice@example.test", PASSWORD);
    await page.waitForURL(`${base}/mail/INBOX`);
    const throttle = await t.db.authThrottle.findUnique({ where: { key: "ip:127.0.0.1" } });
    assert.equal(throttle?.failures, 1, "a success neither counts nor clears the address's earlier failure");
    assert.ok(await t.db.authThrottle.findUnique({ where: { key: "good:alice@example.test:127.0.0.1" } }), "the address is now known good for alice");

    // The inbox: newest first, unread in bold, the unread count in the folder list.
    await row(page, SUBJECT).waitFor();
    await shot(page, "inbox");
    assert.equal(await page.getByTestId("account-email").textContent(), "alice@example.test");
    assert.equal(await page.getByTestId("admin-link").count(), 0, "no Admin link for a user");
    const subjects = await page.getByTestId("message-subject").allTextContents();
    assert.deepEqual(subjects, ["Second message", SUBJECT]);
    assert.equal(await row(page, SUBJECT).getAttribute("data-unread"), "true");
    assert.ok((await fontWeight(page, SUBJECT)) >= 600, "unread is bold");
    assert.equal(await row(page, SUBJECT).getByTestId("message-sender").textContent(), "Remote Sender");
    assert.equal((await page.getByTestId("unread-INBOX").textContent())?.trim(), "2");
    for (const f of ["INBOX", "Drafts", "Sent", "Archive", "Junk", "Trash"]) assert.equal(await page.getByTestId(`folder-${f}`).count(), 1, f);

    // A GET of the message (what a link prefetcher or scanner does) renders it and changes nothing.
    const messagePath = (await row(page, SUBJECT).getAttribute("href")) ?? "";
    const prefetched = await page.request.get(messagePath);
    assert.equal(prefetched.status(), 200);
    assert.ok((await prefetched.text()).includes(SUBJECT));
    assert.equal(await seen(SUBJECT), false, "a GET alone leaves the message unread");

    // Open the message: once it is shown, the page marks it read (a POST) and the unread count drops.
    await row(page, SUBJECT).click();
    await page.getByTestId("message-subject-heading").waitFor();
    // Opened in place of the list (components/mail/list-pane.tsx): the list's address names it.
    assert.equal(new URL(page.url()).searchParams.get("open"), messagePath.split("/").pop());
    aliceMessageUrl = messagePath;
    await waitFor("the open message to be marked read", () => seen(SUBJECT));
    await page.waitForFunction(() => document.querySelector('[data-testid="unread-INBOX"]')?.textContent?.trim() === "1", undefined, { timeout: WAIT_MS });
    assert.match(aliceMessageUrl, /^\/mail\/INBOX\/[a-z0-9]+$/);
    assert.equal(await page.getByTestId("message-subject-heading").textContent(), SUBJECT);
    assert.match((await page.getByTestId("message-from").textContent()) ?? "", /Remote Sender <sender@remote\.example>/);
    assert.match((await page.getByTestId("message-to").textContent()) ?? "", /alice@example\.test/);
    assert.match((await page.getByTestId("message-cc").textContent()) ?? "", /bob@example\.test/);
    assert.ok(((await page.getByTestId("message-date").textContent()) ?? "").length > 5);

    // The HTML part: in a sandboxed frame with its own CSP; the text is there, nothing ran, nothing was fetched.
    const frameEl = page.getByTestId("message-html");
    const sandbox = (await frameEl.getAttribute("sandbox")) ?? "";
    assert.doesNotMatch(sandbox, /allow-scripts|allow-forms|allow-top-navigation/, "no script, form or top navigation in the frame");
    assert.match(sandbox, /allow-same-origin/, "the page reads the frame's height itself (components/mail/message-frame.tsx)");
    const srcdoc = (await frameEl.getAttribute("srcdoc")) ?? "";
    assert.ok(srcdoc.includes(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">`));
    assert.doesNotMatch(srcdoc, /<script|onerror|javascript:|127\.0\.0\.1/i);
    const frame = page.frameLocator('[data-testid="message-html"]');
    await frame.getByText(BODY_TEXT).waitFor();
    await frame.locator("#jslink").click().catch(() => {});
    await sleep(300);
    assert.equal(await frame.locator("body[data-pwned]").count(), 0, "no script in the message ran");
    assert.notEqual(await page.title(), "PWNED");
    assert.ok(!titles.includes("PWNED"));
    assert.equal(await page.getByTestId("remote-blocked").count(), 1, "the reader is told remote content was blocked");
    assert.deepEqual(trackerHits, [], "no remote image, stylesheet or link was fetched");
    await shot(page, "message");

    // "Show images": this message's remote images load (the reader chose to); remote styles stay blocked.
    await page.getByTestId("show-images").click();
    await page.waitForURL(/\?images=1$/);
    await page.frameLocator('[data-testid="message-html"]').getByText(BODY_TEXT).waitFor();
    await waitFor("the remote image to be fetched", async () => (trackerHits as string[]).includes("/pixel.gif"));
    await sleep(300);
    assert.deepEqual(trackerHits, ["/pixel.gif"], "only the image: no background, no @import");
    assert.equal(await page.getByTestId("show-images").count(), 0);
    await page.goto(aliceMessageUrl);
    await page.getByTestId("show-images").waitFor();

    // The attachment: listed, and downloadable only as an attachment.
    assert.equal(await page.getByTestId("attachment-name").textContent(), "numbers.pdf");
    const href = (await page.getByTestId("attachment-download").getAttribute("href")) ?? "";
    assert.equal(href, `${aliceMessageUrl}/attachments/0`);
    const dl = await page.request.get(href);
    assert.equal(dl.status(), 200);
    assert.equal(dl.headers()["content-type"], "application/pdf");
    assert.match(dl.headers()["content-disposition"] ?? "", /^attachment; filename="numbers\.pdf"/);
    assert.equal(dl.headers()["x-content-type-options"], "nosniff");
    assert.equal(dl.headers()["content-security-policy"], "default-src 'none'; sandbox", "the route's own policy, not the page policy");
    assert.deepEqual(Buffer.from(await dl.body()), PDF);
    assert.equal((await page.request.get(`${aliceMessageUrl}/attachments/7`)).status(), 404);
    assert.equal((await page.request.get(`${aliceMessageUrl}/attachments/x`)).status(), 404);

    // The plain-text view of the same message.
    await page.getByRole("tab", { name: "Plain text" }).click();
    await page.getByTestId("message-text").getByText(BODY_TEXT).waitFor();

    // Back in the inbox the message is read: no longer bold, one unread left.
    await page.getByTestId("back-to-folder").click();
    await page.waitForURL(`${base}/mail/INBOX`);
    await row(page, SUBJECT).waitFor();
    assert.equal(await row(page, SUBJECT).getAttribute("data-unread"), "false");
    assert.ok((await fontWeight(page, SUBJECT)) < 600, "read is not bold");
    assert.equal((await page.getByTestId("unread-INBOX").textContent())?.trim(), "1");

    // Opening the other message and going Back in browser history shows fresh state too.
    await row(page, "Second message").click();
    await page.getByTestId("message-subject-heading").waitFor();
    await waitFor("the second message to be marked read", () => seen("Second message"));
    await page.waitForFunction(() => document.querySelector('[data-testid="unread-INBOX"]') === null, undefined, { timeout: WAIT_MS });
    await page.goBack();
    await row(page, "Second message").waitFor();
    await page.waitForFunction(
      () => document.querySelector('[data-testid="message-row"][data-unread="true"]') === null,
      undefined,
      { timeout: WAIT_MS },
    );
    assert.equal(await page.getByTestId("unread-INBOX").count(), 0);

    // Mark as unread again from the message view.
    await row(page, SUBJECT).click();
    await page.getByTestId("mark-unread").click();
    await page.waitForURL(`${base}/mail/INBOX`);
    await page.waitForFunction((s) => [...document.querySelectorAll('[data-testid="message-row"][data-unread="true"]')].some((e) => e.textContent?.includes(s)), SUBJECT, { timeout: WAIT_MS });

    // Another folder, whose name needs escaping in the URL.
    await page.getByTestId("folder-Work/Q1 reports").click();
    await page.waitForURL(`${base}/mail/Work%2FQ1%20reports`);
    await row(page, "Filed report").click();
    await page.getByTestId("message-text").getByText("filed body").waitFor();
    assert.equal(await page.getByTestId("back-to-folder").textContent(), "Work/Q1 reports");
    assert.equal(await page.getByTestId("folder-title").isVisible(), false);
    await page.getByTestId("back-to-folder").click();
    await page.getByTestId("folder-title").getByText("Work/Q1 reports").waitFor();

    // Bad ids and bad page numbers: 404 or a clamped page, never a crash.
    assert.equal((await page.goto("/mail/INBOX/doesnotexist"))?.status(), 404);
    assert.equal((await page.goto("/mail/INBOX/%00%27"))?.status(), 404);
    assert.equal((await page.goto("/mail/NoSuchFolder"))?.status(), 404);
    assert.equal((await page.goto("/mail/INBOX?page=999"))?.status(), 200);
    await row(page, SUBJECT).waitFor();
    assert.equal((await page.goto("/mail/INBOX?page=-3"))?.status(), 200);
    assert.equal((await page.goto("/admin"))?.status(), 404, "the admin console does not exist for a user");
    assert.equal((await page.goto("/"))?.url(), `${base}/mail/INBOX`, "/ lands on the Inbox");

    // Sign out: back to /login, and the pages are closed again.
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL((u) => u.pathname === "/login");
    await page.goto("/mail/INBOX");
    assert.equal(new URL(page.url()).pathname, "/login");
  } finally {
    await ctx.close();
  }
});

test("new mail shows up in an open Inbox by itself, from the store's change feed (no reload, no poll)", async () => {
  const ctx = await newContext();
  try {
    const page = await ctx.newPage();
    await signIn(page, "carol@example.test", PASSWORD);
    await page.waitForURL(`${base}/mail/INBOX`);
    let reloads = 0;
    page.on("load", () => reloads++);
    // The page subscribes to /api/events; give it a moment to connect before the mail arrives.
    await page.waitForTimeout(1000);
    const sentAt = Date.now();
    await send({ from: "live@remote.example", to: "carol@example.test", subject: "Arrives live", text: "live" });
    await row(page, "Arrives live").waitFor({ timeout: 5000 });
    const ms = Date.now() - sentAt;
    assert.equal(reloads, 0, "the list updated without a page load");
    assert.ok(ms < 5000, `shown ${ms} ms after the 250`);
    await page.waitForFunction(() => document.querySelector('[data-testid="unread-INBOX"]')?.textContent?.trim() === "1", undefined, { timeout: 5000 });
  } finally {
    await ctx.close();
  }
});

test("bob cannot open alice's message or its attachment", async () => {
  assert.ok(aliceMessageUrl, "the previous test found alice's message");
  const ctx = await newContext();
  try {
    const page = await ctx.newPage();
    await signIn(page, "bob@example.test", PASSWORD);
    await page.waitForURL(`${base}/mail/INBOX`);
    await row(page, "Bob's own note").waitFor();
    assert.equal(await row(page, SUBJECT).count(), 1, "bob got his own Cc copy");

    const res = await page.goto(aliceMessageUrl);
    assert.equal(res?.status(), 404);
    assert.equal(await page.getByText(BODY_TEXT).count(), 0);
    assert.equal(await page.getByTestId("not-found").count(), 1);
    const id = aliceMessageUrl.split("/").pop();
    assert.equal((await page.goto(`/mail/Archive/${id}`))?.status(), 404);
    assert.equal((await page.request.get(`${aliceMessageUrl}/attachments/0`)).status(), 404);

    // An attachment declared application/octet-stream but named .html is not served as a page.
    await page.goto("/mail/INBOX");
    await row(page, "Disguised page").click();
    assert.equal(await page.getByTestId("attachment-name").textContent(), "invoice.html");
    const href = (await page.getByTestId("attachment-download").getAttribute("href")) ?? "";
    const dl = await page.request.get(href);
    assert.equal(dl.status(), 200);
    assert.equal(dl.headers()["content-type"], "application/octet-stream", "the declared type, never one guessed from the name");
    assert.match(dl.headers()["content-disposition"] ?? "", /^attachment; filename="invoice\.html"/);
    assert.equal(dl.headers()["x-content-type-options"], "nosniff");
    assert.equal(dl.headers()["content-security-policy"], "default-src 'none'; sandbox");
    assert.equal(await dl.text(), DISGUISED);
  } finally {
    await ctx.close();
  }
});

test("an admin sees the Admin link and the admin console", async () => {
  const ctx = await newContext();
  try {
    const page = await ctx.newPage();
    await signIn(page, "admin@example.test", PASSWORD);
    await page.waitForURL(`${base}/mail/INBOX`);
    await page.getByTestId("admin-link").click();
    await page.waitForURL(`${base}/admin`);
    const domains = page.getByTestId("admin-domains");
    await domains.getByText("example.test").waitFor();
    await shot(page, "admin");
    const cells = await domains.locator("tbody tr", { hasText: "example.test" }).locator("td").allTextContents();
    assert.deepEqual(cells.slice(0, 3), ["example.test", "4", "0"], "name, accounts, aliases");
    const accounts = page.getByTestId("admin-accounts");
    for (const email of ["admin@example.test", "alice@example.test", "bob@example.test", "carol@example.test"]) {
      await accounts.getByText(email, { exact: true }).waitFor();
    }
    assert.match((await accounts.locator("tr", { hasText: "admin@example.test" }).textContent()) ?? "", /admin/);
    const dns = (await page.getByTestId("client-dns-example.test").textContent()) ?? "";
    assert.match(dns, /_imaps\._tcp\.example\.test\. 3600 IN SRV 0 1 993 mail\.example\.test\./);
    assert.match(dns, /_submissions\._tcp\.example\.test\. 3600 IN SRV 0 1 465 mail\.example\.test\./);
    assert.match(dns, /_pop3\._tcp\.example\.test\. 3600 IN SRV 0 0 0 \./, "POP3_PORT=0: published as not available");
    assert.match(dns, /autoconfig\.example\.test\. 3600 IN CNAME mail\.example\.test\./);
    assert.match(dns, /example\.test\. 3600 IN MX 10 mail\.example\.test\./);
    assert.match(dns, /_dmarc\.example\.test\. 3600 IN TXT "v=DMARC1; p=quarantine/);
  } finally {
    await ctx.close();
  }
});

test("disabling or deleting an account ends its session at once", async () => {
  const ctx = await newContext();
  try {
    const page = await ctx.newPage();
    await signIn(page, "carol@example.test", PASSWORD);
    await page.waitForURL(`${base}/mail/INBOX`);
    await t.db.account.update({ where: { email: "carol@example.test" }, data: { disabled: true } });
    await page.goto("/mail/INBOX");
    assert.equal(new URL(page.url()).pathname, "/login", "the still-valid cookie no longer signs in");
    assert.equal((await page.request.get("/api/folders")).status(), 401);

    await t.db.account.update({ where: { email: "carol@example.test" }, data: { disabled: false } });
    await signIn(page, "carol@example.test", PASSWORD);
    await page.waitForURL(`${base}/mail/INBOX`);
    await t.db.account.delete({ where: { email: "carol@example.test" } });
    await page.goto("/mail/INBOX");
    assert.equal(new URL(page.url()).pathname, "/login");
  } finally {
    await ctx.close();
  }
});

test("a forged X-Forwarded-For does not choose the address failures count against", async () => {
  const before = (await t.db.authThrottle.findUniqueOrThrow({ where: { key: "ip:127.0.0.1" } })).failures;
  assert.equal(await httpSignIn("127.0.0.1", "alice@example.test", "forged guess", { "x-forwarded-for": "203.0.113.9", "x-real-ip": "203.0.113.9", "x-mailsuite-peer": "203.0.113.9" }), "invalid");
  assert.equal(await t.db.authThrottle.findUnique({ where: { key: "ip:203.0.113.9" } }), null, "no count for the forged address");
  assert.equal((await t.db.authThrottle.findUniqueOrThrow({ where: { key: "ip:127.0.0.1" } })).failures, before + 1, "the socket's address was counted");
});

test("40 parallel wrong web sign-ins from one address: all counted, that address locked, the owner still signs in", async () => {
  const results = await Promise.all(Array.from({ length: 40 }, (_, i) => httpSignIn("127.0.0.2", "alice@example.test", `guess ${i}`)));
  assert.equal(results.filter((r) => r === "invalid").length, LOCKOUT_FAILURES - 1, results.join(" "));
  assert.equal(results.filter((r) => r === "locked").length, 40 - (LOCKOUT_FAILURES - 1), results.join(" "));
  const attacker = await t.db.authThrottle.findUniqueOrThrow({ where: { key: "ip:127.0.0.2" } });
  assert.equal(attacker.failures, 40, "every parallel attempt was counted");
  assert.ok(attacker.lockedUntil && attacker.lockedUntil > new Date());
  assert.equal(await httpSignIn("127.0.0.2", "alice@example.test", PASSWORD), "locked", "the attacking address is refused even with the right password");

  // More attackers, each below its own limit: the account is slowed for strangers, never locked.
  for (let i = 3; i < 9; i++) for (let j = 0; j < LOCKOUT_FAILURES - 1; j++) assert.equal(await httpSignIn(`127.0.0.${i}`, "alice@example.test", `guess ${i}.${j}`), "invalid");
  assert.equal(await httpSignIn("127.0.0.1", "alice@example.test", PASSWORD), "ok", "the owner signs in from a known-good address");

  // In the browser the lock-out blames the address.
  const ctx = await newContext();
  try {
    const page = await ctx.newPage();
    await page.goto("/login?error=locked");
    await page.getByText("too many failed sign-ins from your address, try again later").waitFor();
  } finally {
    await ctx.close();
  }
});
