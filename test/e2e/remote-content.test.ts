/**
 * Remote content in the message view, in Chromium over the built app: the notice counts
 * what was blocked and names tracking pixels, "Show images" is there, "Always show images
 * from this sender" is kept per account (RemoteImageSender) and removable in /settings;
 * and the HTML frame is as tall as its content with no inner scrollbar, while scripts in
 * it still cannot run.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import zlib from "node:zlib";
import type { AddressInfo } from "node:net";
import nodemailer from "nodemailer";
import type { Page } from "playwright-core";
import { startTestEngine, PASSWORD, type TestEngine } from "../helpers/engine";
import { startWebApp, WAIT_MS, type WebApp } from "../helpers/web-app";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let t: TestEngine;
let app: WebApp;
let remote: http.Server;
let remoteUrl = "";
const hits: string[] = [];

/** A PNG of w x h grey pixels (the "remote" images, so a loaded one changes the layout). */
function png(w: number, h: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 0, 0, 0, 0], 8); // 8-bit greyscale
  const rows = Buffer.alloc((w + 1) * h, 0x80);
  for (let y = 0; y < h; y++) rows[y * (w + 1)] = 0;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), chunk("IDAT", zlib.deflateSync(rows)), chunk("IEND", Buffer.alloc(0))]);
}

function send(mail: nodemailer.SendMailOptions) {
  const tr = nodemailer.createTransport({ host: "127.0.0.1", port: t.mxPort, secure: false, tls: { rejectUnauthorized: false } });
  return tr.sendMail(mail).finally(() => tr.close());
}

const newsletter = (n: number) =>
  `<p>Newsletter ${n}</p><img src="${remoteUrl}/banner-${n}.png" width="300" alt="banner">` +
  `<img src="${remoteUrl}/open.gif?n=${n}" width="1" height="1" alt="">` +
  `<div style="background:url(${remoteUrl}/bg-${n}.png)">styled</div>`;

before(async () => {
  remote = http.createServer((req, res) => {
    hits.push(req.url ?? "");
    res.writeHead(200, { "content-type": "image/png" });
    res.end(req.url?.startsWith("/tall") ? png(20, 600) : png(1, 1));
  });
  await new Promise<void>((r) => remote.listen(0, "127.0.0.1", r));
  remoteUrl = `http://127.0.0.1:${(remote.address() as AddressInfo).port}`;
  t = await startTestEngine();
  await send({ from: "News <news@sender.example>", to: "alice@example.test, bob@example.test", subject: "Newsletter 1", html: newsletter(1) });
  await send({ from: "news@sender.example", to: "alice@example.test", subject: "Newsletter 2", html: newsletter(2) });
  await send({ from: "other@elsewhere.example", to: "alice@example.test", subject: "Other sender", html: `<p>other</p><img src="${remoteUrl}/other.png">` });
  // The sender's address, but DMARC failed when the MX checked it (the header ours would write).
  await send({
    from: "news@sender.example",
    to: "alice@example.test",
    subject: "Forged newsletter",
    html: newsletter(9),
    headers: { "Authentication-Results": `${t.config.hostname}; spf=fail smtp.mailfrom=forger.example; dmarc=fail (p=none) header.from=sender.example` },
  });
  await send({ from: "styles@elsewhere.example", to: "alice@example.test", subject: "Styles only", html: `<p style="background:url(${remoteUrl}/only-style.png)">styles</p>` });
  const words = "The quarterly figures are in and the team would like to walk through them together before the meeting on Thursday.";
  const paragraphs = Array.from({ length: 40 }, (_, i) => `<p>Paragraph ${i + 1}. ${words} ${words}</p>`).join("");
  await send({
    from: "long@elsewhere.example",
    to: "alice@example.test",
    subject: "Long message",
    html: `${paragraphs}<div id="end">the end</div><img src="x" onerror="__pwned('frame')"><script>__pwned('frame')</script>`,
  });
  await send({ from: "short@elsewhere.example", to: "alice@example.test", subject: "Short message", html: "<p>One line.</p>" });
  await send({ from: "vh@elsewhere.example", to: "alice@example.test", subject: "Viewport loop", html: `<div style="height:101vh;background:#eee">as tall as its frame, and a bit</div>` });
  await send({ from: "tall@elsewhere.example", to: "alice@example.test", subject: "Tall image", html: `<p>above</p><img src="${remoteUrl}/tall.png" alt="tall"><p id="below">below</p>` });
  app = await startWebApp(t, { POP3_PORT: "0" });
});

after(async () => {
  await app?.stop();
  await new Promise((r) => remote?.close(r));
  await t?.stop();
});

async function messageId(subject: string, email = "alice@example.test"): Promise<string> {
  return (await t.db.message.findFirstOrThrow({ where: { subject, account: { email } }, select: { id: true } })).id;
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** The page's document is this URL's own load (FullLoad has reloaded it after an in-app navigation). */
async function loadedAsDocument(page: Page) {
  await page.waitForFunction(() => performance.getEntriesByType("navigation")[0]?.name === location.href, undefined, { timeout: WAIT_MS });
  await page.getByTestId("remote-shown").waitFor();
}

async function signedIn(email = "alice@example.test") {
  const ctx = await app.newContext();
  const page = await ctx.newPage();
  await app.signIn(page, email, PASSWORD);
  await page.waitForURL(/\/mail\/INBOX$/);
  return { ctx, page };
}

/** The frame's height, its document's scroll height and whether the document can scroll inside it. */
async function frameSize(page: Page) {
  return page.getByTestId("message-html").evaluate((el) => {
    const f = el as HTMLIFrameElement;
    const root = f.contentDocument!.documentElement;
    return { frame: f.getBoundingClientRect().height, content: root.scrollHeight, inner: root.clientHeight, fitted: f.dataset.fitted ?? null };
  });
}

async function fitted(page: Page) {
  await page.waitForFunction(() => document.querySelector('[data-testid="message-html"]')?.getAttribute("data-fitted") != null, undefined, { timeout: WAIT_MS });
  await waitFor("the frame to fit its content", async () => {
    const s = await frameSize(page);
    return Math.abs(s.frame - s.content) <= 1;
  });
  return frameSize(page);
}

test("the notice counts blocked images and styles, names the tracking pixel, and offers Show images", async () => {
  const { ctx, page } = await signedIn();
  try {
    await page.goto(`/mail/INBOX/${await messageId("Newsletter 1")}`);
    const notice = page.getByTestId("remote-blocked-text");
    assert.match((await notice.textContent()) ?? "", /^2 remote images \(1 tracking pixel\) and 1 remote style were blocked/);
    assert.equal(await page.getByTestId("show-images").count(), 1, "Show images is there");
    assert.equal(await page.getByTestId("always-images-sender").textContent(), "Always show images from news@sender.example");
    assert.equal(hits.length, 0, "nothing was fetched");

    // Only styles blocked: said so, and no Show images (it would load nothing).
    await page.goto(`/mail/INBOX/${await messageId("Styles only")}`);
    assert.match((await page.getByTestId("remote-blocked-text").textContent()) ?? "", /^1 remote style was blocked.*Remote styles are never loaded\./);
    assert.equal(await page.getByTestId("show-images").count(), 0);

    // Show images: this message only; the background stays blocked.
    await page.goto(`/mail/INBOX/${await messageId("Newsletter 1")}`);
    await page.getByTestId("show-images").click();
    await page.waitForURL(/\?images=1$/);
    await waitFor("both images", () => hits.includes("/banner-1.png") && hits.includes("/open.gif?n=1"));
    assert.ok(!hits.some((h) => h.startsWith("/bg-")), "remote styles stay blocked");
    assert.match((await page.getByTestId("remote-shown").textContent()) ?? "", /^2 remote images are shown for this message\. 1 remote style was blocked \(never loaded\)\.Always show images from news@sender\.example$/);
    assert.equal(await t.db.remoteImageSender.count(), 0, "Show images remembers nothing");
  } finally {
    await ctx.close();
  }
});

test("always show images from a sender: kept for the account, applied to its other messages, removable in settings", async () => {
  hits.length = 0;
  const { ctx, page } = await signedIn();
  try {
    const first = await messageId("Newsletter 1");
    await page.goto(`/mail/INBOX/${first}`);
    await page.getByTestId("always-images-sender").click();
    await page.waitForURL(new RegExp(`/mail/INBOX/${first}\\?images=1$`));
    await waitFor("the images of the first message", () => hits.includes("/banner-1.png"));
    const alice = await t.db.account.findUniqueOrThrow({ where: { email: "alice@example.test" } });
    assert.deepEqual(
      (await t.db.remoteImageSender.findMany({ select: { accountId: true, address: true } })),
      [{ accountId: alice.id, address: "news@sender.example" }],
    );
    assert.match((await page.getByTestId("remote-shown").textContent()) ?? "", /you always show images from news@sender\.example/);

    // Another message from the sender opens with its images, reached from the list (an
    // in-app navigation: the page loads itself again for the widened policy, full-load.tsx);
    // another sender's stays blocked.
    await page.goto("/mail/INBOX");
    await page.locator('[data-testid="message-row"]', { hasText: "Newsletter 2" }).click();
    await page.waitForURL(/\?images=1$/);
    await waitFor("the second message's images", () => hits.includes("/banner-2.png") && hits.includes("/open.gif?n=2"));
    await page.goto(`/mail/INBOX/${await messageId("Other sender")}`);
    await page.getByTestId("remote-blocked").waitFor();
    assert.ok(!hits.includes("/other.png"));
    // The same From, but DMARC failed on arrival: the list does not vouch for a forgery.
    await page.goto(`/mail/INBOX/${await messageId("Forged newsletter")}`);
    await page.getByTestId("remote-blocked").waitFor();
    assert.ok(!page.url().includes("images=1"));
    await sleep(300);
    assert.ok(!hits.some((h) => h.endsWith("-9.png") || h.endsWith("n=9")), "nothing of the forged message was fetched");

    // The list in settings; removing the sender blocks its images again.
    await page.goto("/settings");
    assert.deepEqual(await page.getByTestId("image-sender").allTextContents(), ["news@sender.exampleRemove"]);
    await page.getByTestId("image-sender-remove").click();
    await page.getByTestId("image-senders-empty").waitFor();
    assert.equal(await t.db.remoteImageSender.count(), 0);
    const before = hits.length;
    await page.goto(`/mail/INBOX/${await messageId("Newsletter 2")}`);
    await page.getByTestId("remote-blocked").waitFor();
    assert.ok(!page.url().includes("images=1"));
    await sleep(300);
    assert.equal(hits.length, before, "nothing fetched once removed");

    // "Stop showing images from this sender" from the message view does the same.
    await page.getByTestId("always-images-sender").click();
    await page.waitForURL(/\?images=1$/);
    await loadedAsDocument(page);
    await page.getByTestId("stop-images-sender").click();
    await page.getByTestId("remote-blocked").waitFor();
    assert.equal(await t.db.remoteImageSender.count(), 0);
  } finally {
    await ctx.close();
  }
});

test("one account's list does not show images to another", async () => {
  hits.length = 0;
  const alice = await t.db.account.findUniqueOrThrow({ where: { email: "alice@example.test" } });
  await t.db.remoteImageSender.deleteMany({});
  await t.db.remoteImageSender.create({ data: { accountId: alice.id, address: "news@sender.example" } });
  const { ctx, page } = await signedIn("bob@example.test");
  try {
    await page.goto(`/mail/INBOX/${await messageId("Newsletter 1", "bob@example.test")}`);
    await page.getByTestId("remote-blocked").waitFor();
    await sleep(300);
    assert.deepEqual(hits, []);
    await page.goto("/settings");
    await page.getByTestId("image-senders-empty").waitFor();
  } finally {
    await ctx.close();
    await t.db.remoteImageSender.deleteMany({});
  }
});

test("the HTML frame is as tall as its content, with no inner scrollbar, and still runs no script", async () => {
  const { ctx, page } = await signedIn();
  const pwned: string[] = [];
  await ctx.exposeBinding("__pwned", (_s, name: unknown) => void pwned.push(String(name)));
  try {
    await page.goto(`/mail/INBOX/${await messageId("Long message")}`);
    const long = await fitted(page);
    assert.ok(long.frame > 1500, `40 paragraphs make a tall frame (${long.frame} px)`);
    assert.ok(long.content <= long.inner + 1, "no inner scrollbar: the document fits its frame");
    const sandbox = (await page.getByTestId("message-html").getAttribute("sandbox")) ?? "";
    assert.deepEqual(sandbox.split(/\s+/).sort(), ["allow-popups", "allow-popups-to-escape-sandbox", "allow-same-origin"]);
    // The last paragraph is reached by scrolling the page, not the frame.
    await page.frameLocator('[data-testid="message-html"]').locator("#end").scrollIntoViewIfNeeded();
    assert.equal(await page.getByTestId("message-html").evaluate((el) => (el as HTMLIFrameElement).contentDocument!.documentElement.scrollTop), 0);

    // Narrower window: the text wraps more and the frame follows.
    await page.setViewportSize({ width: 420, height: 800 });
    await waitFor("the frame to grow for the narrow window", async () => {
      const s = await frameSize(page);
      return s.frame > long.frame && Math.abs(s.frame - s.content) <= 1;
    });
    await page.setViewportSize({ width: 1280, height: 720 });

    await page.goto(`/mail/INBOX/${await messageId("Short message")}`);
    const short = await fitted(page);
    assert.ok(short.frame < 150, `one line makes a short frame (${short.frame} px)`);

    // Content sized by its frame (101vh) is always a little taller than the frame: it may
    // scroll inside, but it does not grow the frame in a loop.
    await page.goto(`/mail/INBOX/${await messageId("Viewport loop")}`);
    await page.waitForFunction(() => document.querySelector('[data-testid="message-html"]')?.getAttribute("data-fitted") != null, undefined, { timeout: WAIT_MS });
    await sleep(500);
    const loop = await frameSize(page);
    await sleep(1000);
    const later = await frameSize(page);
    assert.equal(later.frame, loop.frame, "the height is stable");
    assert.ok(later.frame < 2000, `bounded (${later.frame} px)`);

    // An image that loads later grows the frame with it.
    await page.goto(`/mail/INBOX/${await messageId("Tall image")}?images=1`);
    await waitFor("the tall image to load and the frame to follow", async () => {
      const s = await frameSize(page);
      return s.frame > 600 && Math.abs(s.frame - s.content) <= 1;
    });
    assert.deepEqual(pwned, [], "the message's script and handler did not run");
  } finally {
    await ctx.close();
  }
});
