import { test } from "node:test";
import assert from "node:assert/strict";
import MailComposer from "nodemailer/lib/mail-composer/index.js";
import { cleanCss, extractAttachment, htmlDocument, MESSAGE_CSP, renderMessage, sanitizeEmailHtml } from "../../lib/mime/render";
import { attachmentDisposition, downloadHeaders, safeContentType, safeFilename } from "../../lib/web/download";
import { formatFullDate, formatListDate, formatSize } from "../../lib/web/format";
import { clampPage } from "../../lib/store/read";
import { folderFromParam, safeCallbackPath } from "../../lib/web/params";

const PNG_1PX = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");

function compose(mail: ConstructorParameters<typeof MailComposer>[0]): Promise<Buffer> {
  return new MailComposer(mail).compile().build();
}

const clean = (html: string) => sanitizeEmailHtml(html).html;

test("sanitising removes scripts and everything that runs code", () => {
  const out = clean(
    `<p>hi</p><script>document.title="pwned"</script><SCRIPT src="https://evil.example/x.js"></SCRIPT>` +
      `<img src=x onerror="alert(1)"><div onclick="alert(2)" onmouseover='x()'>click</div>` +
      `<a href="javascript:alert(3)">js</a><a href="JaVaScRiPt&colon;alert(4)">js2</a><a href=" vbscript:x">vb</a>` +
      `<a href="data:text/html,<script>alert(5)</script>">data</a>` +
      `<iframe src="https://evil.example"></iframe><object data="x.swf"></object><embed src="x">` +
      `<form action="https://evil.example"><input name=q><button>go</button></form>` +
      `<svg><script>alert(6)</script></svg><math><mtext><style><img src=x onerror=alert(7)></style></mtext></math>` +
      `<meta http-equiv="refresh" content="0;url=https://evil.example"><base href="https://evil.example/"><link rel=stylesheet href="https://evil.example/x.css">`,
  );
  assert.match(out, /<p>hi<\/p>/);
  assert.doesNotMatch(out, /<script/i);
  assert.doesNotMatch(out, /\bon[a-z]+\s*=/i, "no event handler attributes");
  assert.doesNotMatch(out, /javascript:|vbscript:/i);
  assert.doesNotMatch(out, /data:text/i);
  assert.doesNotMatch(out, /<(iframe|object|embed|form|input|button|meta|base|link|svg|math)\b/i);
  assert.doesNotMatch(out, /evil\.example/);
  assert.doesNotMatch(out, /alert\(/);
  assert.doesNotMatch(out, /document\.title/);
});

test("sanitising drops remote images, srcset, background attributes and CSS urls", () => {
  const { html, blockedRemoteContent } = sanitizeEmailHtml(
    `<img src="https://tracker.example/p.gif" width=1 height=1 alt="pixel">` +
      `<img srcset="https://tracker.example/a.png 2x" src="//tracker.example/b.png">` +
      `<table background="https://tracker.example/bg.png"><tr><td style="background:url('https://tracker.example/td.png') no-repeat;color:red">x</td></tr></table>` +
      `<div style="background-image: URL(https://tracker.example/u.png)">y</div>` +
      `<div style="background:\\75rl(https://tracker.example/escaped.png)">z</div>` +
      `<div style="width: expression(alert(1))">e</div>` +
      `<style>@import url("https://tracker.example/i.css"); @import 'https://tracker.example/j.css'; .a{background:url(https://tracker.example/s.png)} p{color:blue}</style>` +
      `<style>.b{background:image-set("https://tracker.example/set.png" 1x)}</style>`,
  );
  assert.doesNotMatch(html, /tracker\.example/, html);
  assert.doesNotMatch(html, /srcset|background=/i);
  assert.doesNotMatch(html, /url\(/i);
  assert.doesNotMatch(html, /@import|expression|image-set/i);
  assert.match(html, /color:\s*red/, "harmless styles stay");
  assert.match(html, /p\{color:blue\}/, "harmless style blocks stay");
  assert.match(html, /alt="pixel"/, "the image element stays, without its source");
  assert.ok(blockedRemoteContent >= 8, `counted blocked remote content: ${blockedRemoteContent}`);
});

test("sanitising keeps formatting, web links (opening in a new tab) and inline data images", () => {
  const dataUrl = `data:image/png;base64,${PNG_1PX.toString("base64")}`;
  const out = clean(
    `<h1 style="font-size:20px">Title</h1><p><b>bold</b> <i>it</i> <a href="https://example.com/x?a=1&amp;b=2">link</a> <a href="mailto:a@example.com">mail</a></p>` +
      `<table cellpadding="4"><tr><td colspan="2" bgcolor="#eee">cell</td></tr></table><font color="red" face="Arial">old</font>` +
      `<img src="${dataUrl}" alt="dot"><img src="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=" alt="svg"><a href="/relative">rel</a><a href="#top">top</a>`,
  );
  assert.match(out, /<h1 style="font-size:20px">Title<\/h1>/);
  assert.match(out, /<a href="https:\/\/example.com\/x\?a=1&amp;b=2" target="_blank" rel="noopener noreferrer">link<\/a>/);
  assert.match(out, /href="mailto:a@example.com"/);
  assert.match(out, /<td colspan="2" bgcolor="#eee">cell<\/td>/);
  assert.match(out, /<font color="red" face="Arial">old<\/font>/);
  assert.ok(out.includes(`src="${dataUrl}"`), "a raster data: image stays");
  assert.doesNotMatch(out, /svg\+xml/, "an SVG data: image goes");
  assert.doesNotMatch(out, /href="\/relative"/, "relative links (into the app) go");
  assert.match(out, /href="#top"/);
});

test("cleanCss removes fetches and refuses what it cannot clean", () => {
  assert.equal(cleanCss("color: red; font-weight: bold"), "color: red; font-weight: bold");
  assert.equal(cleanCss("background: url(https://x.example/a.png) no-repeat"), "background: none no-repeat");
  assert.equal(cleanCss("background: url(data:image/png;base64,AAAA)"), "background: url(data:image/png;base64,AAAA)");
  assert.equal(cleanCss("background: \\75 rl(https://x.example/a.png)"), null, "escaped url( is refused");
  assert.equal(cleanCss("background: u/**/rl(https://x.example/a.png)"), "background: none", "comments cannot split url(");
  assert.equal(cleanCss("behavior: url(x.htc)"), null);
  assert.equal(cleanCss("-moz-binding: url(x.xml#y)"), null);
  assert.equal(cleanCss("width: expression(alert(1))"), null);
  assert.equal(cleanCss("@import 'https://x.example/a.css'; p{color:red}")?.trim(), "p{color:red}");
});

test("the frame document carries its own CSP before any content", () => {
  const doc = htmlDocument("<p>x</p>");
  assert.equal(MESSAGE_CSP, "default-src 'none'; img-src data:; style-src 'unsafe-inline'");
  const meta = doc.indexOf(`<meta http-equiv="Content-Security-Policy" content="${MESSAGE_CSP}">`);
  assert.ok(meta > 0 && meta < doc.indexOf("<p>x</p>") && meta < doc.indexOf("<style>"));
});

test("remote images only when the reader asks: <img> kept, remote styles still blocked, the frame's CSP widened for images alone", () => {
  const html = `<img src="https://t.example/p.gif" alt="p"><img src="javascript:alert(1)"><div style="background:url(https://t.example/bg.png)">x</div>`;
  const blocked = sanitizeEmailHtml(html);
  assert.doesNotMatch(blocked.html, /t\.example/);
  assert.equal(blocked.blockedRemoteContent, 3);
  const shown = sanitizeEmailHtml(html, { remoteImages: true });
  assert.match(shown.html, /<img alt="p" src="https:\/\/t\.example\/p\.gif" \/>/);
  assert.doesNotMatch(shown.html, /javascript:|bg\.png/);
  assert.equal(shown.blockedRemoteContent, 2, "the javascript: image and the background stay blocked");
  assert.match(htmlDocument("<p>x</p>", true), /content="default-src 'none'; img-src data: http: https:; style-src 'unsafe-inline'"/);
});

test("renderMessage extracts headers, text, sanitised HTML and attachments", async () => {
  const raw = await compose({
    from: '"Carol Sender" <carol@remote.example>',
    to: ['"Alice" <alice@example.test>', "dave@example.test"],
    cc: "Bob <bob@example.test>",
    replyTo: "replies@remote.example",
    subject: "Quarterly report ✓",
    date: new Date("2024-03-05T10:20:30Z"),
    messageId: "<report-1@remote.example>",
    text: "Hello Alice,\nthe report is attached.\nhttps://example.com/report",
    html:
      `<p onclick="steal()">Hello <b>Alice</b></p><script>window.parent.marker = 1</script>` +
      `<img src="cid:logo@remote.example" alt="logo"><img src="https://tracker.example/open.gif">`,
    attachments: [
      { filename: "report.pdf", content: Buffer.from("%PDF-1.4 fake"), contentType: "application/pdf" },
      { filename: "logo.png", content: PNG_1PX, contentType: "image/png", cid: "logo@remote.example" },
      { filename: "../../etc/passwd\u0000.txt", content: "root", contentType: "text/plain" },
    ],
  });
  const m = await renderMessage(raw);
  assert.deepEqual(m.from, [{ name: "Carol Sender", address: "carol@remote.example" }]);
  assert.deepEqual(
    m.to.map((a) => a.address),
    ["alice@example.test", "dave@example.test"],
  );
  assert.equal(m.cc[0]?.name, "Bob");
  assert.equal(m.replyTo[0]?.address, "replies@remote.example");
  assert.equal(m.subject, "Quarterly report ✓");
  assert.equal(m.date?.toISOString(), "2024-03-05T10:20:30.000Z");
  assert.equal(m.messageId, "<report-1@remote.example>");
  assert.match(m.text ?? "", /the report is attached\./);
  assert.ok(m.html);
  assert.match(m.html, /Hello <b>Alice<\/b>/);
  assert.doesNotMatch(m.html, /script|onclick|marker|tracker\.example|cid:/);
  assert.match(m.html, /<img alt="logo" src="data:image\/png;base64,[^"]+" \/>/, "the cid: image is inlined");
  assert.equal(m.blockedRemoteContent, 1);

  const listed = m.attachments.filter((a) => !a.inline);
  assert.equal(listed.length, 2);
  assert.deepEqual([listed[0]!.filename, listed[0]!.contentType], ["report.pdf", "application/pdf"]);
  assert.equal(listed[1]!.contentType, "text/plain");
  assert.equal(listed[0]!.size, Buffer.byteLength("%PDF-1.4 fake"));
  const logo = m.attachments.find((a) => a.filename === "logo.png");
  assert.equal(logo?.inline, true, "the embedded logo is not offered as a download");

  const pdf = await extractAttachment(raw, listed[0]!.index);
  assert.equal(pdf?.content.toString(), "%PDF-1.4 fake");
  assert.equal(await extractAttachment(raw, 99), null);
  const disguised = Buffer.from(
    "From: a@example.test\r\nTo: b@example.test\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n" +
      "--XX\r\nContent-Type: text/plain\r\n\r\nhi\r\n" +
      "--XX\r\nContent-Type: application/octet-stream; name=evil.html\r\nContent-Disposition: attachment; filename=evil.html\r\n\r\n<script>alert(1)</script>\r\n--XX--\r\n",
  );
  const evil = await extractAttachment(disguised, 0);
  assert.equal(evil?.filename, "evil.html");
  assert.equal(evil?.contentType, "application/octet-stream", "the declared type, not one guessed from the name");
  assert.equal(await extractAttachment(raw, -1), null);
  assert.equal(safeFilename(listed[1]!.filename).includes("/"), false);
});

test("renderMessage of a text-only message and of an HTML-only message", async () => {
  const textOnly = await renderMessage(await compose({ from: "a@example.test", to: "b@example.test", subject: "t", text: "just text" }));
  assert.equal(textOnly.html, null);
  assert.equal(textOnly.text?.trim(), "just text");
  assert.deepEqual(textOnly.attachments, []);

  const htmlOnly = await renderMessage(await compose({ from: "a@example.test", to: "b@example.test", subject: "h", html: "<p>only <i>html</i></p>" }));
  assert.match(htmlOnly.html ?? "", /<p>only <i>html<\/i><\/p>/);
  assert.match(htmlOnly.text ?? "", /only html/, "mailparser's text rendering stands in for the text part");

  const noHeaders = await renderMessage(Buffer.from("\r\n"));
  assert.equal(noHeaders.subject, "");
  assert.equal(noHeaders.date, null);
  assert.deepEqual(noHeaders.from, []);
});

test("download headers: safe file names, RFC 6266 disposition, nosniff", () => {
  assert.equal(safeFilename("../../etc/passwd"), "_.._etc_passwd");
  assert.equal(safeFilename("a\r\nb\u0000.txt"), "ab.txt");
  assert.equal(safeFilename("  ...  "), "attachment");
  assert.equal(safeFilename(undefined, "x.bin"), "x.bin");
  assert.equal(safeFilename("x".repeat(300) + ".pdf").length, 180);
  assert.ok(safeFilename("x".repeat(300) + ".pdf").endsWith(".pdf"));
  assert.equal(attachmentDisposition('report "Q1"; final.pdf'), `attachment; filename="report _Q1__ final.pdf"; filename*=UTF-8''report%20_Q1_%3B%20final.pdf`);
  assert.equal(attachmentDisposition("résumé.pdf"), `attachment; filename="r_sum_.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf`);
  assert.equal(safeContentType("Application/PDF"), "application/pdf");
  assert.equal(safeContentType("text/html\r\nSet-Cookie: x=1"), "application/octet-stream");
  assert.equal(safeContentType(""), "application/octet-stream");
  for (const active of ["text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/javascript", "text/javascript", "multipart/mixed"]) {
    assert.equal(safeContentType(active), "application/octet-stream", `${active} is never served as itself`);
  }
  for (const passive of ["image/png", "text/plain", "application/zip"]) assert.equal(safeContentType(passive), passive);
  const h = downloadHeaders("a.html", "text/html", 10);
  assert.equal(h["content-type"], "application/octet-stream");
  assert.equal(h["x-content-type-options"], "nosniff");
  assert.match(h["content-disposition"]!, /^attachment;/);
  assert.match(h["content-security-policy"]!, /sandbox/);
});

test("list dates: time for today, day and month this year, full date before", () => {
  const now = new Date("2025-06-15T15:00:00Z");
  const opts = { locale: "en-GB", timeZone: "UTC" };
  assert.equal(formatListDate(new Date("2025-06-15T09:05:00Z"), now, opts), "09:05");
  assert.equal(formatListDate(new Date("2025-02-03T09:05:00Z"), now, opts), "3 Feb");
  assert.equal(formatListDate(new Date("2023-02-03T09:05:00Z"), now, opts), "3 Feb 2023");
  // The locale's own clock: 24-hour with a leading zero in en-GB, 12-hour without one in en-US.
  // (ICU versions differ in the space before AM: a narrow no-break space or a plain one.)
  assert.equal(formatListDate(new Date("2025-06-15T06:33:00Z"), now, { locale: "en-US", timeZone: "UTC" }).replace(/\s/g, " "), "6:33 AM");
  assert.equal(formatFullDate(new Date("2025-06-15T06:33:00Z"), opts), "Sun, 15 Jun 2025, 06:33");
  assert.equal(formatSize(512), "512 B");
  assert.equal(formatSize(1536), "1.5 KB");
  assert.equal(formatSize(BigInt(5 * 1024 * 1024)), "5.0 MB");
});

test("page numbers are clamped", () => {
  assert.equal(clampPage(undefined, 3), 1);
  assert.equal(clampPage("abc", 3), 1);
  assert.equal(clampPage("-4", 3), 1);
  assert.equal(clampPage("2", 3), 2);
  assert.equal(clampPage("999", 3), 3);
  assert.equal(clampPage("2.7", 3), 2);
  assert.equal(clampPage(5, 0), 1);
});

test("the page to return to after sign-in is always on this site", () => {
  assert.equal(safeCallbackPath("/mail/INBOX?page=2"), "/mail/INBOX?page=2");
  assert.equal(safeCallbackPath("/mail/Work%2FQ1/abc#x"), "/mail/Work%2FQ1/abc#x");
  for (const bad of ["https://evil.example/", "//evil.example", "/\\evil.example", "/\t/evil.example", "/\n/evil.example", "javascript:alert(1)", "", "mail/INBOX", "/login?callbackUrl=/x", "/api/folders", undefined, 42]) {
    assert.equal(safeCallbackPath(bad), "/", String(bad));
  }
  assert.equal(folderFromParam("Work%2FQ1%20reports"), "Work/Q1 reports");
  assert.equal(folderFromParam("INBOX"), "INBOX");
  assert.equal(folderFromParam("100%"), "100%");
});
