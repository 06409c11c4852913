import { test } from "node:test";
import assert from "node:assert/strict";
import { summarise, summariseWithMailparser, type MessageSummary } from "../../lib/mime/summary";
import { parseMessage } from "../../lib/mime/message-parser";

/**
 * The delivery parser (message-parser.ts) mirrors mailparser's summary; every message below
 * is summarised both ways and compared field by field. Known differences (where mailparser
 * is wrong or adds what the snippet should not have) are spelled out per case.
 */

const CRLF = "\r\n";
const PNG_1PX = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
const PDF = Buffer.from("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n").toString("base64");

function b64Lines(data: Buffer | string, width = 76): string {
  const s = Buffer.isBuffer(data) ? data.toString("base64") : Buffer.from(data).toString("base64");
  return s.replace(new RegExp(`(.{${width}})`, "g"), "$1\r\n").replace(/\r\n$/, "");
}

/** Quoted-printable for latin1/windows-1252 bytes given as a binary string (soft breaks every 70 characters). */
function qp(binary: string): string {
  const enc = [...binary].map((ch) => {
    const c = ch.charCodeAt(0);
    return c === 0x3d || c > 0x7e || (c < 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) ? "=" + c.toString(16).toUpperCase().padStart(2, "0") : ch;
  });
  return enc
    .join("")
    .split("\n")
    .map((line) => line.replace(/\r$/, "").replace(/(.{70})/g, "$1=\r\n"))
    .join("\r\n");
}

const HDR = [
  "Received: from mx.example.org (mx.example.org [192.0.2.1])\r\n\tby inbox.example.net with ESMTPS id 1234; Mon, 23 Nov 2026 10:00:05 +0000",
  'From: "Ann Example" <Ann@Example.org>',
  "To: Bob <bob@example.net>, carol@example.net",
  "Subject: Quarterly figures",
  "Date: Mon, 23 Nov 2026 10:00:00 +0000",
  "Message-ID: <m1.abc@example.org>",
  "MIME-Version: 1.0",
];

function message(headers: string[], body: string, eol = CRLF): Buffer {
  const text = headers.join(CRLF) + CRLF + CRLF + body;
  return Buffer.from(eol === CRLF ? text : text.replace(/\r\n/g, eol), "latin1");
}
const utf8 = (s: string): string => Buffer.from(s, "utf8").toString("latin1");

const LOREM =
  "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. " +
  "Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. ";
const longText = (n: number): string => {
  const words = LOREM.repeat(Math.ceil(n / LOREM.length)).slice(0, n);
  return words.replace(/(.{1,70})(\s|$)/g, "$1\r\n");
};

interface Case {
  name: string;
  raw: Buffer;
  /** the Date header cannot be parsed: mailparser then gives the time of parsing */
  badDate?: boolean;
  /** a known difference from mailparser: our snippet, and why it differs */
  snippet?: { ours: string; why: string };
}

const related = (imageHeaders: string[]) => [
  "--rel",
  "Content-Type: text/html; charset=utf-8",
  "",
  '<p>Logo: <img src="cid:logo@x"></p>',
  "--rel",
  ...imageHeaders,
  "",
  PNG_1PX,
  "--rel--",
];

const BIG_HTML =
  "<!DOCTYPE html><html><head><title>Newsletter &lt;November&gt;</title><style>body{font:12px sans-serif}/* <body> */ p{margin:0}</style>" +
  "<script>var s = '<body>'; if (a < b) {}</script><!-- <body> in a comment --></head>\r\n" +
  '<body class="x" data-x="a > b">\r\n' +
  "<h1>Big &amp; bold news</h1>\r\n" +
  Array.from(
    { length: 80 },
    (_, i) =>
      `<p>Paragraph ${i}: <a href="https://example.org/track?id=${i}&amp;u=${"x".repeat(60)}">read the full story number ${i} about ${LOREM.slice(0, 60)}</a> &nbsp; <b>bold</b></p>\r\n`,
  ).join("") +
  "</body></html>\r\n";

const CASES: Case[] = [
  { name: "plain ASCII", raw: message([...HDR, "Content-Type: text/plain; charset=us-ascii"], "Hello Bob,\r\n\r\n  the figures   are attached.\r\n") },
  {
    name: "UTF-8 8bit body and raw UTF-8 headers",
    raw: message(
      [...HDR.slice(0, 1), utf8('From: "Jürgen Müller" <jm@example.de>'), "To: x@example.net", utf8("Subject: Grüße aus Köln ✓"), "Date: Tue, 24 Nov 2026 08:15:00 +0100", "Message-ID: <u8@example.de>", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"],
      utf8("Schöne Grüße — 日本語のテキスト 😀\r\n"),
    ),
  },
  {
    name: "iso-8859-1 quoted-printable",
    raw: message([...HDR, "Content-Type: text/plain; charset=iso-8859-1", "Content-Transfer-Encoding: quoted-printable"], qp("Caf\xe9 cr\xe8me br\xfbl\xe9e, \xe0 bient\xf4t! " + "x".repeat(100) + "\r\nNext line =\r\n")),
  },
  {
    name: "windows-1252 quoted-printable, long",
    raw: message([...HDR, "Content-Type: text/plain; charset=windows-1252", "Content-Transfer-Encoding: quoted-printable"], qp("\x93Smart quotes\x94 \x96 dash \x80 euro \x85 " + longText(3000).replace(/\r\n/g, "\n"))),
  },
  { name: "base64 UTF-8 text", raw: message([...HDR, "Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: base64"], b64Lines("Ünïcödé text in base64 ✓\nsecond line\n") + CRLF) },
  { name: "base64 text, long, last line without line break", raw: message([...HDR, "Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: BASE64"], b64Lines("ß€ " + longText(5000))) },
  {
    name: "encoded-word subjects and names (B and Q, adjacent words, mixed charsets)",
    raw: message(
      [
        "From: =?UTF-8?B?SsO8cmdlbg==?= =?UTF-8?Q?_M=C3=BCller?= <JM@Example.DE>",
        "To: =?iso-8859-1?q?Andr=E9?= <andre@example.fr>, \"=?utf-8?B?5pel5pys?=\" <jp@example.jp>",
        "Cc: =?windows-1252?Q?=93Quoted=94?= <q@example.com>",
        "Subject: =?UTF-8?B?SGVsbG8g8J+Riw==?= =?UTF-8?B?IHdvcmxk?=\r\n =?ISO-8859-1?Q?caf=E9?= and =?utf-8?q?plain_text?=",
        "Date: Mon, 23 Nov 2026 10:00:00 -0500",
        "Message-ID: <enc@example.org>",
        "Content-Type: text/plain",
      ],
      "body\r\n",
    ),
  },
  {
    name: "names with quotes and commas, address groups",
    raw: message(
      [
        'From: "Doe, John \\"JD\\"" <John.Doe@Example.COM>',
        'To: undisclosed-recipients:;, Team: "Smith, A." <a.smith@example.com>, b@example.com;, "Last, First" <LF@example.com>',
        "Cc: (comment) plain@example.com, <angle@example.com>, Name Only",
        "Subject: Groups",
        "Date: Wed, 25 Nov 2026 12:00:00 GMT",
      ],
      "hi\r\n",
    ),
  },
  { name: "no From, no Date, no Subject", raw: message(["To: someone@example.com", "Message-ID: no-brackets@example.org"], "Body only.\r\n") },
  { name: "bad Date", raw: message(["From: a@example.com", "Date: not a date at all", "Subject: x"], "text\r\n"), badDate: true },
  {
    name: "references folded over lines, in-reply-to with two ids, repeated headers",
    raw: message(
      [
        ...HDR,
        "In-Reply-To: <p1@example.org> <p2@example.org>",
        "References: <r1@example.org>\r\n <r2@example.org>\r\n\t<r3@example.org>   r4@example.org",
        "References: <r5@example.org>",
        "To: second-to@example.com",
        "Subject: second subject is ignored",
        "From: second-from@example.com",
      ],
      "text\r\n",
    ),
  },
  {
    name: "multipart/alternative",
    raw: message(
      [...HDR, 'Content-Type: multipart/alternative; boundary="alt-1"'],
      [
        "This is a multi-part message in MIME format.",
        "--alt-1",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: quoted-printable",
        "",
        qp(utf8("Plain version \u2013 with a dash")),
        "--alt-1",
        "Content-Type: text/html; charset=utf-8",
        "",
        "<p>HTML <b>version</b></p>",
        "--alt-1--",
        "epilogue --alt-1",
        "",
      ].join(CRLF),
    ),
  },
  {
    name: "multipart/mixed with a PDF attachment",
    raw: message(
      [...HDR, "Content-Type: multipart/mixed;\r\n boundary=\"----=_Part_1\""],
      [
        "------=_Part_1",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "See attached.",
        "------=_Part_1",
        'Content-Type: application/pdf; name="report.pdf"',
        "Content-Transfer-Encoding: base64",
        'Content-Disposition: attachment; filename="report.pdf"',
        "",
        b64Lines(Buffer.from(PDF, "base64")),
        "------=_Part_1--",
        "",
      ].join(CRLF),
    ),
  },
  {
    name: "attachment with disposition inline but not in multipart/related",
    raw: message(
      [...HDR, "Content-Type: multipart/mixed; boundary=mix"],
      ["--mix", "Content-Type: text/plain", "", "Inline picture below", "--mix", "Content-Type: image/png", "Content-Disposition: inline", "Content-ID: <img1@x>", "Content-Transfer-Encoding: base64", "", PNG_1PX, "--mix--", ""].join(CRLF),
    ),
  },
  {
    name: "multipart/related with an inline image (Content-Disposition inline)",
    raw: message(
      [...HDR, 'Content-Type: multipart/related; type="text/html"; boundary="rel"'],
      related(["Content-Type: image/png", "Content-Transfer-Encoding: base64", "Content-ID: <logo@x>", 'Content-Disposition: inline; filename="logo.png"']).join(CRLF) + CRLF,
    ),
  },
  {
    name: "multipart/related with an inline image without Content-Disposition",
    raw: message([...HDR, "Content-Type: multipart/related; boundary=rel"], related(["Content-Type: image/png", "Content-Transfer-Encoding: base64", "Content-ID: <logo@x>"]).join(CRLF) + CRLF),
  },
  {
    name: "HTML only, with entities, <style> and <script>",
    raw: message(
      [...HDR, "Content-Type: text/html; charset=iso-8859-1", "Content-Transfer-Encoding: quoted-printable"],
      qp(
        "<html><head><style>p { color: red }</style><script>alert('x')</script></head><body><h2>T\xedtulo &amp; more</h2><p>Caf&eacute; &lt;tag&gt; &#8364; &nbsp;non-breaking</p><ul><li>one</li><li>two</li></ul><a href=\"https://example.org/\">link</a></body></html>",
      ),
    ),
  },
  { name: "HTML only, large (converted in part)", raw: message([...HDR, "Content-Type: text/html; charset=utf-8", "Content-Transfer-Encoding: quoted-printable"], qp(BIG_HTML)) },
  { name: "HTML fragment without <body>, large", raw: message([...HDR, "Content-Type: text/html"], BIG_HTML.replace(/<\/?(html|head|body)[^>]*>/g, "")) },
  {
    name: "text/calendar part",
    raw: message(
      [...HDR, "Content-Type: multipart/alternative; boundary=cal"],
      ["--cal", "Content-Type: text/plain", "", "You are invited", "--cal", 'Content-Type: text/calendar; method=REQUEST; charset="UTF-8"', "", "BEGIN:VCALENDAR", "END:VCALENDAR", "--cal--", ""].join(CRLF),
    ),
  },
  {
    name: "nested mixed > alternative > related",
    raw: message(
      [...HDR, "Content-Type: multipart/mixed; boundary=outer"],
      [
        "--outer",
        "Content-Type: multipart/alternative; boundary=alt",
        "",
        "--alt",
        "Content-Type: text/plain; charset=utf-8; format=flowed",
        "",
        "Nested plain ",
        "text here.",
        "--alt",
        "Content-Type: multipart/related; boundary=rel",
        "",
        ...related(["Content-Type: image/png", "Content-Transfer-Encoding: base64", "Content-ID: <logo@x>", "Content-Disposition: inline"]),
        "--alt--",
        "--outer",
        "Content-Type: application/octet-stream",
        'Content-Disposition: attachment; filename="data.bin"',
        "",
        "xxxx",
        "--outer--",
        "",
      ].join(CRLF),
    ),
  },
  {
    name: "format=flowed with delsp, long",
    raw: message(
      [...HDR, "Content-Type: text/plain; charset=UTF-8; format=flowed; delsp=yes"],
      "> quoted line that is soft \r\n> broken here\r\n\r\nA paragraph that is soft bro \r\nken and con \r\ntinues.\r\n-- \r\nsig\r\n" + longText(4000).replace(/\r\n/g, " \r\n"),
    ),
  },
  {
    name: "bare LF line endings, multipart",
    raw: message(
      [...HDR, "Content-Type: multipart/mixed; boundary=lf"],
      ["--lf", "Content-Type: text/plain", "", "Unix line endings", "--lf", "Content-Type: application/zip", "", "PK", "--lf--", ""].join(CRLF),
      "\n",
    ),
  },
  { name: "no body", raw: message(HDR, "") },
  { name: "header-only message without the empty line", raw: Buffer.from(HDR.join(CRLF) + CRLF + "Subject: duplicate") },
  {
    name: "text and HTML in multipart/mixed (the HTML is converted too)",
    raw: message(
      [...HDR, "Content-Type: multipart/mixed; boundary=m"],
      ["--m", "Content-Type: text/plain", "", "Short.", "--m", "Content-Type: text/html", "", "<p>Then <i>HTML</i> &amp; more.</p>", "--m", "Content-Type: text/plain; charset=utf-8", "Content-Disposition: attachment; filename=notes.txt", "", "not text", "--m--"].join(CRLF),
    ),
  },
  {
    name: "HTML only inside multipart/mixed (no text at all)",
    raw: message([...HDR, "Content-Type: multipart/mixed; boundary=m"], ["--m", "Content-Type: text/html", "", "<p>Only HTML</p>", "--m", "Content-Type: image/png", "", "x", "--m--"].join(CRLF)),
  },
  {
    name: "message/rfc822 attached as a file",
    raw: message(
      [...HDR, "Content-Type: multipart/mixed; boundary=fw"],
      ["--fw", "Content-Type: text/plain", "", "Forwarded message attached.", "--fw", "Content-Type: message/rfc822", 'Content-Disposition: attachment; filename="fwd.eml"', "", "From: x@example.com", "Subject: inner", "", "inner body", "--fw--", ""].join(CRLF),
    ),
  },
  {
    name: "delivery status notification (multipart/report)",
    raw: message(
      ["From: MAILER-DAEMON@example.net", "To: a@example.org", "Subject: Undelivered Mail", "Content-Type: multipart/report; report-type=delivery-status; boundary=dsn"],
      [
        "--dsn",
        "Content-Type: text/plain",
        "",
        "Your message could not be delivered.",
        "--dsn",
        "Content-Type: message/delivery-status",
        "",
        "Reporting-MTA: dns; mx.example.net",
        "",
        "Final-Recipient: rfc822; x@example.com",
        "Status: 5.1.1",
        "--dsn",
        "Content-Type: text/rfc822-headers",
        "",
        "Subject: original",
        "--dsn--",
      ].join(CRLF),
    ),
  },
  {
    name: "UTF-16 part whose body is only a line break (mailsplit keeps it when another part follows)",
    raw: message(
      [...HDR, "Content-Type: multipart/mixed; boundary=u"],
      ["--u", "Content-Type: text/plain; charset=utf-16le", "", "", "--u", "Content-Type: text/plain; charset=utf-16le", "", "", "--u--", ""].join(CRLF),
    ),
  },
  {
    name: "HTML only with CRLF line breaks, <pre> and <blockquote> (converted whole)",
    raw: message(
      [...HDR, "Content-Type: text/html; charset=utf-8"],
      "<body><p>Intro</p>\r\n<blockquote>quoted " + LOREM + "\r\n<pre>line 1\r\nline 2\r\n\r\n</pre>\r\n</blockquote>\r\n" + `<p>${LOREM.repeat(12)}</p></body>`,
    ),
  },
  {
    name: "HTML only with an unclosed comment near the start (once looped for ever)",
    raw: message([...HDR, "Content-Type: text/html"], "<p>Hello</p><!-- never closed " + "<p>hidden</p> ".repeat(200)),
  },
  {
    name: "HTML only with an unclosed CDATA section near the start",
    raw: message([...HDR, "Content-Type: text/html"], "<p>Hi</p><![CDATA[ open " + "<b>x</b> ".repeat(300)),
  },
  // shapes the old fast path left to mailparser
  {
    name: "closing delimiter after a stray CR at the very end",
    raw: Buffer.from([...HDR, "Content-Type: multipart/mixed; boundary=e", "", "--e", "Content-Type: text/plain", "", "text", "\r--e--"].join(CRLF)),
    snippet: { ours: "text", why: "mailsplit reads a last line without a line break together with the one before it, so it misses the delimiter and puts it into the text" },
  },
  { name: "malformed multipart: the boundary never appears", raw: message([...HDR, "Content-Type: multipart/mixed; boundary=never"], "just text\r\n--other\r\nmore\r\n") },
  { name: "multipart without a boundary parameter", raw: message([...HDR, "Content-Type: multipart/mixed"], "text\r\n") },
  { name: "multipart never closed", raw: message([...HDR, "Content-Type: multipart/mixed; boundary=b"], "--b\r\nContent-Type: text/plain\r\n\r\nunclosed part\r\n") },
  {
    name: "message/rfc822 inline (embedded message)",
    raw: message(
      [...HDR, "Content-Type: multipart/mixed; boundary=fw"],
      ["--fw", "Content-Type: text/plain", "", "See below.", "--fw", "Content-Type: message/rfc822", "Content-Disposition: inline", "", "From: inner@example.com", "Subject: inner", "Date: Mon, 2 Nov 2026 10:00:00 +0000", "", "inner body text", "--fw--", ""].join(CRLF),
    ),
  },
  { name: "mbox From_ line", raw: message(["From sender@example.com Mon Nov 23 10:00:00 2026", ...HDR.slice(1)], "mbox body\r\n") },
  {
    name: "nested multipart reusing the outer boundary",
    raw: message([...HDR, "Content-Type: multipart/mixed; boundary=b"], ["--b", "Content-Type: multipart/alternative; boundary=b", "", "--b", "Content-Type: text/plain", "", "x", "--b--", "--b--"].join(CRLF)),
  },
];

function comparable(s: MessageSummary, badDate: boolean): MessageSummary {
  if (!badDate) return s;
  // mailparser replaces a Date it cannot parse with the current time
  assert.ok(s.sentDate instanceof Date && Math.abs(s.sentDate.getTime() - Date.now()) < 60_000, "an unparsable Date gives the time of parsing");
  return { ...s, sentDate: null };
}

for (const c of CASES) {
  test(`the delivery parser's summary equals mailparser's: ${c.name}`, async () => {
    const expected = comparable(await summariseWithMailparser(c.raw), !!c.badDate);
    const parsed = parseMessage(c.raw);
    assert.equal(parsed.reduced, undefined);
    if (c.snippet) {
      assert.equal(parsed.summary.snippet, c.snippet.ours);
      assert.notEqual(expected.snippet, c.snippet.ours, "still differs from mailparser: " + c.snippet.why);
      expected.snippet = c.snippet.ours;
    }
    if (c.badDate) assert.equal(parsed.summary.sentDate, null, "an unparsable Date stores no sent date");
    assert.deepEqual(parsed.summary, expected);
    assert.deepEqual(await summarise(c.raw), parsed.summary);
  });
}

test("a long text part gives a full snippet", async () => {
  const raw = message([...HDR, "Content-Type: text/plain; charset=utf-8"], "Start. " + longText(200_000));
  const { summary } = parseMessage(raw);
  assert.equal(summary.snippet.length, 200);
  assert.deepEqual(summary, await summariseWithMailparser(raw));
});
