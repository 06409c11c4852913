/**
 * The hostile corpus (test/fixtures/hostile.ts) against the webmail in Chromium: every
 * message is delivered over SMTP to the MX, then opened one after another in one page.
 * The test fails when
 * - any script of a message runs: `__pwned` is exposed in every frame of the context
 *   (and dialogs are recorded), and every payload calls it;
 * - any request leaves for another host, or the message frame requests anything at all
 *   (even from our own origin): every request of the context is routed and recorded,
 *   frames and workers included, and only the app's own pages and assets go through;
 * - the UI around the message is covered: the toolbar, the folder list and the subject
 *   must be what the browser finds at their own centres, and the frame must sit below
 *   the toolbar;
 * - a popup opens, the page navigates away, an attachment name keeps a path or a
 *   bidirectional override, or an attachment is served as something a browser runs.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import nodemailer from "nodemailer";
import type { BrowserContext, Frame, Page } from "playwright-core";
import { startTestEngine, PASSWORD, type TestEngine } from "../helpers/engine";
import { startWebApp, WAIT_MS, type WebApp } from "../helpers/web-app";
import { HOSTILE, type HostileCase } from "../fixtures/hostile";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
const TO = "alice@example.test";
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

let t: TestEngine;
let app: WebApp;
const ids = new Map<string, string>();

function mail(c: HostileCase): nodemailer.SendMailOptions {
  const from = `${c.fromName ? `"${c.fromName}" ` : ""}<${c.name}@hostile.example>`;
  const subject = c.subject ?? `[hostile] ${c.name}`;
  const messageId = `<${c.name}@hostile.example>`;
  if (c.raw) {
    const raw = `Message-ID: ${messageId}\r\nDate: ${new Date().toUTCString()}\r\n` + c.raw.replace("{from}", from).replace("{to}", TO).replace("{subject}", subject);
    return { envelope: { from: `${c.name}@hostile.example`, to: [TO] }, raw };
  }
  return {
    from,
    to: TO,
    subject,
    messageId,
    html: c.html,
    text: c.text,
    attachments: c.attachments?.map((a) => ({ filename: a.filename, contentType: a.contentType, content: a.content, cid: a.cid, contentDisposition: a.contentDisposition })),
  };
}

before(async () => {
  t = await startTestEngine();
  // One SMTP connection for the whole corpus (a real socket to the MX, message after message).
  const tr = nodemailer.createTransport({ host: "127.0.0.1", port: t.mxPort, secure: false, pool: true, maxConnections: 1, maxMessages: Infinity, tls: { rejectUnauthorized: false } });
  try {
    for (const c of HOSTILE) await tr.sendMail(mail(c));
  } finally {
    tr.close();
  }
  const rows = await t.db.message.findMany({ where: { account: { email: TO } }, select: { id: true, messageIdHeader: true } });
  for (const r of rows) {
    const m = /^<?([^@]+)@hostile\.example>?$/.exec(r.messageIdHeader);
    if (m) ids.set(m[1]!, r.id);
  }
  app = await startWebApp(t, { POP3_PORT: "0" });
});

after(async () => {
  await app?.stop();
  await t?.stop();
});

interface Watch {
  current: string;
  pwned: string[];
  requests: string[];
  dialogs: string[];
  popups: string[];
  /** Fetches the sanitiser let through and a Content-Security-Policy stopped (Chromium says so on the console). */
  cspBlocked: string[];
}

/** Routes and records every request of the context; see the file comment for what counts. */
async function watch(ctx: BrowserContext, page: Page, base: string): Promise<Watch> {
  const w: Watch = { current: "(sign-in)", pwned: [], requests: [], dialogs: [], popups: [], cspBlocked: [] };
  const origin = new URL(base).origin;
  await ctx.exposeBinding("__pwned", (_src, name: unknown) => {
    w.pwned.push(`${w.current}: __pwned(${String(name)})`);
  });
  const inSubframe = (frame: Frame | null) => frame !== null && frame.parentFrame() !== null;
  await ctx.route("**/*", async (route) => {
    const req = route.request();
    let frame: Frame | null = null;
    try {
      frame = req.frame();
    } catch {
      frame = null; // a service worker's request has no frame
    }
    const local = new URL(req.url()).origin === origin;
    if (local && !inSubframe(frame)) return route.continue();
    w.requests.push(`${w.current}: ${req.resourceType()} ${req.url().slice(0, 200)}${inSubframe(frame) ? " (from the message frame)" : ""}`);
    return route.abort("blockedbyclient");
  });
  // Requests that bypass routing (a worker's own fetches are still events) are seen here.
  ctx.on("request", (req) => {
    const url = req.url();
    if (!url.startsWith("data:") && !url.startsWith(origin) && !w.requests.some((r) => r.includes(url.slice(0, 200)))) w.requests.push(`${w.current}: (event) ${url.slice(0, 200)}`);
  });
  ctx.on("page", (p) => w.popups.push(`${w.current}: ${p.url()}`));
  page.on("dialog", (d) => {
    w.dialogs.push(`${w.current}: ${d.type()} ${d.message()}`);
    d.dismiss().catch(() => {});
  });
  page.on("console", (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) w.cspBlocked.push(`${w.current}: ${m.text().slice(0, 200)}`);
  });
  page.on("websocket", (ws) => w.requests.push(`${w.current}: websocket ${ws.url()}`));
  page.on("worker", (wk) => w.requests.push(`${w.current}: worker ${wk.url()}`));
  return w;
}

/** A new context signed in as alice, every request and script watched. */
async function watchedSession() {
  const ctx = await app.newContext();
  const page = await ctx.newPage();
  const w = await watch(ctx, page, app.base);
  await app.signIn(page, TO, PASSWORD);
  await page.waitForURL(/\/mail\/INBOX$/);
  return { ctx, page, w };
}

/** Whether the element under the centre of `testId`'s box is that element (or inside it). */
async function uncovered(page: Page, testId: string): Promise<boolean> {
  return page.getByTestId(testId).first().evaluate((el) => {
    const r = el.getBoundingClientRect();
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return hit !== null && (hit === el || el.contains(hit));
  });
}

test("the detectors see what they look for (a script that calls __pwned, a remote request, a request from the message frame, an overlay)", async () => {
  const { ctx, page, w } = await watchedSession();
  try {
    await page.goto(`/mail/INBOX/${ids.get("img-tracking-pixel")}`);
    await page.getByTestId("message-html").waitFor();
    w.current = "self-check";
    // Done by the test in the page's own world, as a payload would if it ever ran.
    await page.evaluate(() => (window as unknown as { __pwned(n: string): void }).__pwned("self-check"));
    // A fetch the sanitiser would have let through: the frame's policy refuses it, and says so.
    await page.getByTestId("message-html").evaluate((el) => {
      const img = (el as HTMLIFrameElement).contentDocument!.createElement("img");
      img.src = "http://self-check-csp.evil.invalid/i.png";
      (el as HTMLIFrameElement).contentDocument!.body.append(img);
    });
    // Requests the policies would block never reach the network (nor these detectors): navigations are not blocked by them.
    const frame = page.frames().find((f) => f.parentFrame() !== null);
    assert.ok(frame, "the message frame");
    await frame.goto(`${app.base}/self-check-from-frame`).catch(() => null);
    const other = await ctx.newPage();
    await other.goto("http://self-check.evil.invalid/x").catch(() => null);
    await other.close();
    assert.equal(await uncovered(page, "back-to-folder"), true);
    await page.evaluate(() => {
      const d = document.createElement("div");
      d.style.cssText = "position:fixed;inset:0;z-index:2147483647";
      document.body.append(d);
    });
    await waitFor("the requests to be recorded", () => w.requests.length >= 2);
    assert.deepEqual(w.pwned, ["self-check: __pwned(self-check)"]);
    assert.ok(w.requests.some((r) => r.includes("self-check.evil.invalid")), w.requests.join("\n"));
    assert.ok(w.requests.some((r) => r.includes("/self-check-from-frame (from the message frame)")), w.requests.join("\n"));
    assert.equal(await uncovered(page, "back-to-folder"), false, "an overlay is seen");
    assert.equal(w.popups.length, 1, "a new page is seen");
    await waitFor("the policy's refusal to be seen", () => w.cspBlocked.some((m) => m.includes("self-check-csp.evil.invalid")));
  } finally {
    await ctx.close();
  }
});

test(`the hostile corpus (${HOSTILE.length} messages): nothing runs, nothing leaves, nothing covers the UI`, { timeout: 15 * 60_000 }, async () => {
  assert.ok(HOSTILE.length >= 60, "at least 60 hostile messages");
  assert.equal(new Set(HOSTILE.map((c) => c.name)).size, HOSTILE.length, "case names are unique");
  for (const c of HOSTILE) assert.ok(ids.has(c.name), `${c.name} was delivered`);

  const { ctx, page, w } = await watchedSession();
  try {
    const covered: string[] = [];
    const wrong: string[] = [];
    let htmlFrames = 0;

    for (const c of HOSTILE) {
      w.current = c.name;
      const path = `/mail/INBOX/${ids.get(c.name)}`;
      await page.goto(path);
      await page.getByTestId("message-subject-heading").waitFor();
      const frameEl = page.getByTestId("message-html");
      if ((await frameEl.count()) > 0) {
        htmlFrames++;
        // Fitted to its content once loaded (components/mail/message-frame.tsx).
        await page.waitForFunction(() => document.querySelector('[data-testid="message-html"]')?.getAttribute("data-fitted") !== null, undefined, { timeout: WAIT_MS });
        const sandbox = (await frameEl.getAttribute("sandbox")) ?? "";
        if (/allow-scripts|allow-forms|allow-top-navigation/.test(sandbox)) wrong.push(`${c.name}: sandbox "${sandbox}"`);
        const frame = page.frameLocator('[data-testid="message-html"]');
        for (const sel of c.click ?? []) {
          const target = frame.locator(sel).first();
          if ((await target.count()) > 0) await target.click({ timeout: 3000, force: true }).catch(() => {});
        }
        const box = await frameEl.boundingBox();
        const bar = await page.getByTestId("back-to-folder").boundingBox();
        if (box && bar && box.y < bar.y + bar.height) wrong.push(`${c.name}: the frame starts at ${box.y}, above the toolbar's bottom ${bar.y + bar.height}`);
      }
      for (const id of ["back-to-folder", "folder-INBOX", "message-subject-heading", "search-box"]) {
        if ((await page.getByTestId(id).count()) > 0 && !(await uncovered(page, id))) covered.push(`${c.name}: ${id}`);
      }
      // Attachment names: no path, no bidi override, a sane length; downloads are never active documents.
      const names = await page.getByTestId("attachment-name").allTextContents();
      if (c.listedNames) assert.deepEqual(names, c.listedNames, `${c.name}: the listed names`);
      for (const n of names) if (/[\\/]/.test(n) || BIDI.test(n) || n.length > 180) wrong.push(`${c.name}: attachment name ${JSON.stringify(n.slice(0, 60))}`);
      for (const href of await page.getByTestId("attachment-download").evaluateAll((els) => els.map((e) => e.getAttribute("href") ?? ""))) {
        const res = await page.request.get(href);
        const type = res.headers()["content-type"] ?? "";
        if (res.status() !== 200 || /html|svg|xml|script/i.test(type) || !/^attachment;/.test(res.headers()["content-disposition"] ?? "") || res.headers()["x-content-type-options"] !== "nosniff") {
          wrong.push(`${c.name}: ${href} served as ${res.status()} ${type} ${res.headers()["content-disposition"]}`);
        }
      }
      await sleep(150); // a moment for timers, animations and image errors to fire
      if (new URL(page.url()).pathname !== path) wrong.push(`${c.name}: the page went to ${page.url()}`);
    }
    // One more look after the last message had time to act.
    await sleep(1000);
    assert.ok(htmlFrames >= 50, `${htmlFrames} messages were shown as HTML`);
    assert.deepEqual(w.pwned, [], "no script of a message ran");
    assert.deepEqual(w.dialogs, [], "no dialog opened");
    assert.deepEqual(w.requests, [], "no request left for another host, and the message frame requested nothing");
    assert.deepEqual(w.popups, [], "no window opened");
    assert.deepEqual(w.cspBlocked, [], "the sanitiser alone let no fetch through (the policies had nothing to refuse)");
    assert.deepEqual(covered, [], "the UI around the message stayed uncovered");
    assert.deepEqual(wrong, []);
  } finally {
    await ctx.close();
  }
});

test("an attachment opened in the browser itself stays a download (a text/html attachment runs nothing)", async () => {
  const { ctx, page, w } = await watchedSession();
  try {
    w.current = "attachment-html (opened)";
    await page.goto(`/mail/INBOX/${ids.get("attachment-html")}`);
    const href = (await page.getByTestId("attachment-download").first().getAttribute("href")) ?? "";
    assert.match(href, /\/attachments\/0$/);
    const [download] = await Promise.all([page.waitForEvent("download"), page.goto(href).catch(() => null)]);
    assert.equal(download.suggestedFilename(), "invoice.html");
    await sleep(300);
    assert.deepEqual(w.pwned, []);
    assert.deepEqual(w.requests, []);
  } finally {
    await ctx.close();
  }
});
