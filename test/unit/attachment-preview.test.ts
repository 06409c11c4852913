/**
 * The attachment preview's server side: what the bytes are (lib/mime/magic.ts), the
 * inline image's headers, and that the pdf.js we ship cannot eval (the page's CSP has no
 * 'unsafe-eval', and pdf.js 6 has no isEvalSupported switch to turn it off with).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { isPdf, previewKind, rasterImageType } from "../../lib/mime/magic";
import { attachmentDisposition, inlineImageHeaders } from "../../lib/web/download";

const PNG_1PX = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");
const GIF_1PX = Buffer.from("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7", "base64");
const JPEG_HEAD = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00]);
const WEBP_HEAD = Buffer.concat([Buffer.from("RIFF"), Buffer.from([0x1a, 0, 0, 0]), Buffer.from("WEBPVP8L")]);

test("raster images are known by their bytes", () => {
  assert.equal(rasterImageType(PNG_1PX), "image/png");
  assert.equal(rasterImageType(GIF_1PX), "image/gif");
  assert.equal(rasterImageType(Buffer.from("GIF87a...")), "image/gif");
  assert.equal(rasterImageType(JPEG_HEAD), "image/jpeg");
  assert.equal(rasterImageType(WEBP_HEAD), "image/webp");
  for (const b of [PNG_1PX, GIF_1PX, JPEG_HEAD, WEBP_HEAD]) assert.equal(previewKind(b), "image");
});

test("markup, SVG, other RIFF files, truncated signatures and PDFs are not raster images", () => {
  const not = [
    Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    Buffer.from('<?xml version="1.0"?><svg/>'),
    Buffer.from("<script>document.title='PWNED'</script>"),
    // A PNG's signature after a byte of markup: only the very start counts.
    Buffer.concat([Buffer.from(" "), PNG_1PX]),
    PNG_1PX.subarray(0, 7),
    Buffer.concat([Buffer.from("RIFF"), Buffer.from([0x1a, 0, 0, 0]), Buffer.from("WAVEfmt ")]),
    Buffer.from("GIF90a"),
    Buffer.from("%PDF-1.7\n"),
    Buffer.alloc(0),
  ];
  for (const b of not) assert.equal(rasterImageType(b), null, JSON.stringify(b.toString("latin1")));
});

test("a PDF is one whose first bytes are %PDF-", () => {
  assert.ok(isPdf(Buffer.from("%PDF-1.4\n%âãÏÓ\n")));
  assert.equal(previewKind(Buffer.from("%PDF-2.0\n")), "pdf");
  assert.equal(isPdf(Buffer.from("<html>%PDF-1.4")), false);
  assert.equal(isPdf(Buffer.from("%PDF")), false);
  assert.equal(previewKind(Buffer.from("PK\x03\x04")), null);
});

test("an inline image goes out under its verified type, inline, sandboxed, not cached", () => {
  const h = inlineImageHeaders('pic\u202Egnp.html"; x.png', "image/png", 68);
  assert.equal(h["content-type"], "image/png");
  assert.equal(h["content-length"], "68");
  assert.equal(h["x-content-type-options"], "nosniff");
  assert.equal(h["content-security-policy"], "default-src 'none'; sandbox");
  assert.equal(h["cache-control"], "private, no-store");
  assert.match(h["content-disposition"], /^inline; filename="pic/);
  assert.doesNotMatch(h["content-disposition"], /\u202E/);
  assert.equal(attachmentDisposition("a.png"), `attachment; filename="a.png"; filename*=UTF-8''a.png`);
});

test("the pdf.js builds the preview loads contain no eval and no Function constructor", () => {
  const pkg = path.resolve(import.meta.dirname, "../../node_modules/pdfjs-dist");
  assert.equal(JSON.parse(fs.readFileSync(path.join(pkg, "package.json"), "utf8")).version, "6.5.438");
  for (const file of ["build/pdf.mjs", "build/pdf.worker.min.mjs"]) {
    const src = fs.readFileSync(path.join(pkg, file), "utf8");
    assert.ok(src.length > 100_000, file);
    assert.doesNotMatch(src, /(^|[^\w$.])eval\s*\(/, `${file} calls eval`);
    assert.doesNotMatch(src, /new\s+Function\s*\(|(^|[^\w$.])Function\s*\(/, `${file} constructs functions from text`);
  }
});
