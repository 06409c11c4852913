/**
 * Attachment previews in a real browser (the built app, Chromium through playwright-core):
 * a PNG shown from the attachment route's `?inline=1`, a 2-page PDF drawn by pdf.js on a
 * canvas (made here by hand: no binary fixture), no preview for an SVG or for HTML
 * declared image/png, the inline route's headers and refusals, another account's 404,
 * and the dialog's accessibility (axe-core; keyboard; a phone-sized screen).
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import nodemailer from "nodemailer";
import type { Page } from "playwright-core";
import { startTestEngine, PASSWORD, type TestEngine } from "../helpers/engine";
import { startWebApp, WAIT_MS, type WebApp } from "../helpers/web-app";

let t: TestEngine;
let app: WebApp;
const AXE = fs.readFileSync(path.resolve(import.meta.dirname, "../../node_modules/axe-core/axe.min.js"), "utf8");
const SUBJECT = "Scans and drawings";

/** A PNG of `width`×`height` in one colour (PNG spec 5: signature, IHDR, IDAT, IEND, each with its CRC). */
function makePng(width: number, height: number, rgb: [number, number, number]): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // truecolour
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => rgb).flat())]);
  const pixels = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), chunk("IDAT", zlib.deflateSync(pixels)), chunk("IEND", Buffer.alloc(0))]);
}

const PNG = makePng(4, 3, [200, 40, 40]);
const SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>parent.document.title="PWNED"</script><rect width="10" height="10"/></svg>';
const FAKE_PNG = "<html><script>document.title='PWNED'</script></html>";

/**
 * A minimal valid PDF (ISO 32000-1 7.5): catalog, page tree, Helvetica, and per page a
 * content stream filling a rectangle in the page's colour and writing its number; the
 * cross-reference table has each object's byte offset (20-byte entries, 7.5.4).
 */
function makePdf(colours: string[]): Buffer {
  const objects: string[] = [];
  const pageIds = colours.map((_, i) => 4 + i * 2);
  objects[1] = "<< /Type /Catalog /Pages 2 0 R >>";
  objects[2] = `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(" ")}] /Count ${colours.length} >>`;
  objects[3] = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>";
  colours.forEach((rgb, i) => {
    const id = pageIds[i];
    const content = `${rgb} rg 40 40 320 220 re f 0 g BT /F1 36 Tf 60 300 Td (Page ${i + 1}) Tj ET`;
    objects[id] = `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 400] /Resources << /Font << /F1 3 0 R >> >> /Contents ${id + 1} 0 R >>`;
    objects[id + 1] = `<< /Length ${content.length} >>\nstream\n${content}\nendstream`;
  });
  let out = "%PDF-1.4\n";
  const offsets: number[] = [];
  for (let n = 1; n < objects.length; n++) {
    offsets.push(out.length);
    out += `${n} 0 obj\n${objects[n]}\nendobj\n`;
  }
  const xref = out.length;
  out += `xref\n0 ${objects.length}\n0000000000 65535 f \n`;
  out += offsets.map((o) => `${String(o).padStart(10, "0")} 00000 n \n`).join("");
  out += `trailer\n<< /Size ${objects.length} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, "latin1");
}

const PDF = makePdf(["0.1 0.3 0.9", "0.9 0.1 0.1"]);
const BROKEN_PDF = "%PDF-1.4\n% a header and nothing of a PDF after it\n";
const ATTACHMENTS = ["picture.png", "report.pdf", "drawing.svg", "fake.png", "broken.pdf"];
let messagePath = "";

before(async () => {
  t = await startTestEngine();
  const tr = nodemailer.createTransport({ host: "127.0.0.1", port: t.mxPort, secure: false, tls: { rejectUnauthorized: false } });
  await tr
    .sendMail({
      from: "scanner@remote.example",
      to: "alice@example.test",
      subject: SUBJECT,
      text: "Five attachments.",
      attachments: [
        { filename: ATTACHMENTS[0], content: PNG, contentType: "image/png" },
        { filename: ATTACHMENTS[1], content: PDF, contentType: "application/pdf" },
        { filename: ATTACHMENTS[2], content: SVG, contentType: "image/svg+xml" },
        // HTML in disguise: declared image/png and named .png, its bytes are markup.
        { filename: ATTACHMENTS[3], content: FAKE_PNG, contentType: "image/png" },
        { filename: ATTACHMENTS[4], content: BROKEN_PDF, contentType: "application/pdf" },
      ],
    })
    .finally(() => tr.close());
  const m = await t.db.message.findFirstOrThrow({ where: { subject: SUBJECT, account: { email: "alice@example.test" } }, select: { id: true } });
  messagePath = `/mail/INBOX/${m.id}`;
  app = await startWebApp(t, { POP3_PORT: "0" });
});

after(async () => {
  await app?.stop();
  await t?.stop();
});

async function signedIn(email: string, viewport?: { width: number; height: number }): Promise<{ page: Page; close: () => Promise<void> }> {
  const ctx = await app.newContext();
  const page = await ctx.newPage();
  if (viewport) await page.setViewportSize(viewport);
  await app.signIn(page, email, PASSWORD);
  await page.waitForURL(/\/mail\/INBOX$/);
  return { page, close: () => ctx.close() };
}

async function axe(page: Page, screen: string): Promise<void> {
  await page.evaluate(AXE);
  const found = (await page.evaluate(`axe.run(document, { resultTypes: ["violations"] }).then(r => r.violations.map(v => ({ id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(" ")).slice(0, 3) })))`)) as Array<{ id: string; impact: string; nodes: string[] }>;
  const bad = found.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(bad, [], `${screen}: ${JSON.stringify(bad)}`);
}

/** Screenshots for looking at the UI: WEB_TEST_SCREENSHOTS=<dir>. */
async function shot(page: Page, name: string): Promise<void> {
  const dir = process.env.WEB_TEST_SCREENSHOTS;
  if (dir) await page.screenshot({ path: path.join(dir, `preview-${name}.png`) });
}

/** Hydrated (the keys are live: components/mail/shortcuts.tsx) and a moment for late chunks; the event stream never lets the network idle. */
async function settled(page: Page): Promise<void> {
  await page.waitForFunction(() => document.documentElement.dataset.keys === "ready", undefined, { timeout: WAIT_MS });
  await new Promise((r) => setTimeout(r, 750));
}

function attachmentRow(page: Page, name: string) {
  return page.getByTestId("attachments").locator("li", { hasText: name });
}

/** Red, green, blue and how many pixels of the canvas are not white. */
async function canvasPixels(page: Page): Promise<{ centre: number[]; inked: number }> {
  return page.getByTestId("pdf-canvas").evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
    let inked = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] < 240 || d[i + 1] < 240 || d[i + 2] < 240) inked++;
    // The rectangle covers the middle of the page's lower half.
    const at = (Math.floor(c.height * 0.7) * c.width + Math.floor(c.width / 2)) * 4;
    return { centre: [d[at], d[at + 1], d[at + 2]], inked };
  });
}

test("only real raster images and PDFs get Preview; the inline route serves verified images only", async () => {
  const { page, close } = await signedIn("alice@example.test");
  try {
    await page.goto(messagePath);
    await page.getByTestId("attachments").waitFor();
    assert.deepEqual(await page.getByTestId("attachment-name").allTextContents(), ATTACHMENTS);
    for (const [name, previewable] of [["picture.png", true], ["report.pdf", true], ["drawing.svg", false], ["fake.png", false], ["broken.pdf", true]] as const) {
      assert.equal(await attachmentRow(page, name).getByTestId("attachment-preview").count(), previewable ? 1 : 0, name);
      assert.equal(await attachmentRow(page, name).getByTestId("attachment-download").count(), 1, `${name} stays downloadable`);
    }

    const png = await page.request.get(`${messagePath}/attachments/0?inline=1`);
    assert.equal(png.status(), 200);
    const h = png.headers();
    assert.equal(h["content-type"], "image/png");
    assert.equal(h["x-content-type-options"], "nosniff");
    assert.equal(h["content-security-policy"], "default-src 'none'; sandbox");
    assert.equal(h["content-disposition"], `inline; filename="picture.png"; filename*=UTF-8''picture.png`);
    assert.equal(h["cache-control"], "private, no-store");
    assert.deepEqual(Buffer.from(await png.body()), PNG);

    // Not raster images by their bytes: refused inline, whatever they were declared or named.
    for (const index of [1, 2, 3, 4]) {
      const res = await page.request.get(`${messagePath}/attachments/${index}?inline=1`);
      assert.equal(res.status(), 415, ATTACHMENTS[index]);
      assert.equal(res.headers()["x-content-type-options"], "nosniff");
      assert.doesNotMatch(await res.text(), /script|svg/i);
    }
    // The disguised page, opened in the browser as the inline URL, shows nothing of its own.
    await page.goto(`${messagePath}/attachments/3?inline=1`);
    assert.notEqual(await page.title(), "PWNED");
    assert.equal(await page.locator("script").count(), 0);
  } finally {
    await close();
  }
});

test("a PNG previews in a dialog: decoded, labelled, keyboard-closable, axe-clean; opened from the list's pane", async () => {
  const { page, close } = await signedIn("alice@example.test");
  try {
    await page.locator('[data-testid="message-row"]', { hasText: SUBJECT }).click();
    await page.getByTestId("attachments").waitFor();
    const button = attachmentRow(page, "picture.png").getByTestId("attachment-preview");
    assert.equal(await button.getAttribute("aria-label"), "Preview picture.png");
    await button.click();
    const dialog = page.getByTestId("preview-dialog");
    await dialog.waitFor();
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('[data-testid="preview-image"]');
      return !!img && img.complete && img.naturalWidth > 0;
    }, undefined, { timeout: WAIT_MS });
    const size = await page.getByTestId("preview-image").evaluate((img: HTMLImageElement) => [img.naturalWidth, img.naturalHeight]);
    assert.deepEqual(size, [4, 3]);
    assert.equal(await dialog.evaluate((d: HTMLDialogElement) => d.open && d.matches(":modal")), true);
    const labelledBy = (await dialog.getAttribute("aria-labelledby")) ?? "";
    assert.equal(await page.locator(`[id="${labelledBy}"]`).textContent(), "picture.png");
    assert.equal(await dialog.getByTestId("preview-download").getAttribute("href"), `${messagePath}/attachments/0`);
    await shot(page, "image");
    await axe(page, "image preview");

    // Focus starts in the dialog and stays in it while tabbing (the page behind is inert).
    for (let i = 0; i < 6; i++) {
      assert.equal(await page.evaluate(() => !!document.activeElement?.closest("dialog[open]")), true, `focus in the dialog after ${i} Tab`);
      await page.keyboard.press("Tab");
    }
    await page.keyboard.press("Shift+Tab");
    assert.equal(await page.evaluate(() => !!document.activeElement?.closest("dialog[open]")), true, "focus in the dialog after Shift+Tab");
    // A list shortcut pressed in the dialog does nothing to the list: "e" would archive.
    await page.keyboard.press("e");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("data-testid")), "attachment-preview", "focus back on Preview");
    const box = await t.db.message.findFirstOrThrow({ where: { subject: SUBJECT, account: { email: "alice@example.test" } }, select: { mailbox: { select: { name: true } } } });
    assert.equal(box.mailbox.name, "INBOX", "the e pressed in the dialog archived nothing");
  } finally {
    await close();
  }
});

test("a 2-page PDF is drawn by pdf.js on a canvas, page by page; the download stays in the dialog", async () => {
  const { page, close } = await signedIn("alice@example.test");
  try {
    const errors: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    // Every script and worker the page fetches, with whether it is pdf.js (its error text names GlobalWorkerOptions).
    const scripts: Array<Promise<{ url: string; pdfjs: boolean; gzip: number }>> = [];
    page.on("response", (r) => {
      const type = r.request().resourceType();
      if (type === "script" || type === "worker" || /\.m?js(\?|$)/.test(r.url())) {
        scripts.push(r.body().then((b) => ({ url: r.url(), pdfjs: b.includes("GlobalWorkerOptions"), gzip: zlib.gzipSync(b, { level: 6 }).length }), () => ({ url: r.url(), pdfjs: false, gzip: 0 })));
      }
    });
    await page.goto("/mail/INBOX");
    await page.locator('[data-testid="message-row"]', { hasText: SUBJECT }).waitFor();
    await settled(page);
    const inbox = await Promise.all(scripts);
    const inboxKb = inbox.reduce((n, s) => n + s.gzip, 0) / 1024;
    process.stdout.write(`# JavaScript to show the Inbox: ${inbox.length} scripts, ${inboxKb.toFixed(1)} KB gzipped\n`);
    assert.deepEqual(inbox.filter((s) => s.pdfjs).map((s) => s.url), [], "the Inbox loads nothing of pdf.js");
    assert.ok(inboxKb < 200, `the Inbox's JavaScript stays under 200 KB gzipped: ${inboxKb.toFixed(1)}`);
    await page.goto(messagePath);
    await page.getByTestId("attachments").waitFor();
    await settled(page);
    assert.deepEqual((await Promise.all(scripts)).filter((s) => s.pdfjs).map((s) => s.url), [], "nothing of pdf.js loads before a preview opens");

    await attachmentRow(page, "report.pdf").getByTestId("attachment-preview").click();
    await page.locator('[data-testid="pdf-canvas"][data-page="1"][data-drawn="true"]').waitFor({ timeout: WAIT_MS });
    assert.equal(await page.getByTestId("pdf-page-number").textContent(), "Page 1 of 2");
    const first = await canvasPixels(page);
    assert.ok(first.inked > 1000, `page 1 is drawn (${first.inked} inked pixels)`);
    assert.ok(first.centre[2] > 150 && first.centre[0] < 100, `page 1's rectangle is blue: ${first.centre}`);
    assert.equal(await page.getByTestId("pdf-previous").isDisabled(), true);
    await shot(page, "pdf");
    await axe(page, "PDF preview");

    await page.getByTestId("pdf-next").click();
    await page.locator('[data-testid="pdf-canvas"][data-page="2"][data-drawn="true"]').waitFor({ timeout: WAIT_MS });
    assert.equal(await page.getByTestId("pdf-page-number").textContent(), "Page 2 of 2");
    const second = await canvasPixels(page);
    assert.ok(second.centre[0] > 150 && second.centre[2] < 100, `page 2's rectangle is red: ${second.centre}`);
    assert.equal(await page.getByTestId("pdf-next").isDisabled(), true);
    // ← turns back.
    await page.keyboard.press("ArrowLeft");
    await page.locator('[data-testid="pdf-canvas"][data-page="1"][data-drawn="true"]').waitFor({ timeout: WAIT_MS });

    const dl = await page.request.get((await page.getByTestId("preview-download").getAttribute("href")) ?? "");
    assert.match(dl.headers()["content-disposition"] ?? "", /^attachment; filename="report\.pdf"/);
    const all = await Promise.all(scripts);
    assert.ok(all.some((s) => s.pdfjs), "pdf.js was loaded for the preview");
    assert.deepEqual(all.filter((s) => !s.url.startsWith(`${app.base}/_next/static/`)).map((s) => s.url), [], "every script and worker from our own static files");
    assert.deepEqual(errors.filter((e) => /Content Security Policy|Refused/i.test(e)), [], "no CSP refusals");

    await page.getByTestId("preview-close").click();
    await page.getByTestId("preview-dialog").waitFor({ state: "detached" });

    // A file that only starts like a PDF: pdf.js cannot read it, the dialog says so and keeps Download.
    await attachmentRow(page, "broken.pdf").getByTestId("attachment-preview").click();
    await page.locator('[data-testid="pdf-preview"][data-status="error"]').waitFor({ timeout: WAIT_MS });
    assert.match((await page.getByTestId("pdf-preview").getByRole("alert").textContent()) ?? "", /cannot be shown here/);
    assert.equal(await page.getByTestId("preview-download").getAttribute("href"), `${messagePath}/attachments/4`);
    await page.keyboard.press("Escape");
    await page.getByTestId("preview-dialog").waitFor({ state: "detached" });
  } finally {
    await close();
  }
});

test("on a phone-sized screen the dialog fills the screen and its controls are reachable", async () => {
  const { page, close } = await signedIn("alice@example.test", { width: 375, height: 667 });
  try {
    await page.goto(messagePath);
    await attachmentRow(page, "report.pdf").getByTestId("attachment-preview").click();
    await page.locator('[data-testid="pdf-canvas"][data-drawn="true"]').waitFor({ timeout: WAIT_MS });
    const box = await page.getByTestId("preview-dialog").boundingBox();
    assert.ok(box && box.width <= 375 && box.height <= 667, `dialog within the screen: ${JSON.stringify(box)}`);
    for (const id of ["preview-close", "preview-download", "pdf-next"]) {
      const b = await page.getByTestId(id).boundingBox();
      assert.ok(b && b.x >= 0 && b.x + b.width <= 375 && b.y >= 0 && b.y + b.height <= 667, `${id} on screen: ${JSON.stringify(b)}`);
    }
    const canvas = await page.getByTestId("pdf-canvas").boundingBox();
    assert.ok(canvas && canvas.width <= 375, `the page fits the width: ${JSON.stringify(canvas)}`);
    await shot(page, "phone-pdf");
    await axe(page, "phone PDF preview");
    await page.keyboard.press("Escape");
    await page.getByTestId("preview-dialog").waitFor({ state: "detached" });
  } finally {
    await close();
  }
});

test("another account gets 404 for the preview's URLs", async () => {
  const { page, close } = await signedIn("bob@example.test");
  try {
    for (const url of [`${messagePath}/attachments/0?inline=1`, `${messagePath}/attachments/1`, `/api/messages/${messagePath.split("/").pop()}`]) {
      assert.equal((await page.request.get(url)).status(), 404, url);
    }
  } finally {
    await close();
  }
});
