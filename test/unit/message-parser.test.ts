/**
 * The delivery parser's structure, envelope, section look-ups and limits, on hand-written
 * messages (mime-fixtures.ts). Its summary is compared with mailparser's in summary.test.ts
 * and on real mail in message-parser-corpus.test.ts.
 *
 * Known differences from mailparser's summary (asserted where they show):
 * - an unparsable Date stores no sent date (null); mailparser gives the time of parsing;
 * - "\r--boundary--" as the very last line (no line break) closes the multipart; mailsplit
 *   misses it and puts it into the text;
 * - the parts of a multipart/digest without a Content-Type are messages (RFC 2046 5.1.5);
 *   mailparser takes them as text/plain, and so adds them to the snippet.
 */
import { test } from "node:test";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import v8 from "node:v8";
import vm from "node:vm";
import assert from "node:assert/strict";
import { MIRRORED_VERSIONS, MessageParser, PARSER_LIMITS, parseMessage, type ParsedMessage } from "../../lib/mime/message-parser";
import { attachments, partAt, sectionRange, walkParts, type MimePart } from "../../lib/mime/structure";
import { decodeBody, partContent } from "../../lib/mime/part-body";
import { summariseWithMailparser, type MessageSummary } from "../../lib/mime/summary";
import { FIXTURES, PNG_1PX, assertNested, msg, utf8 } from "./mime-fixtures";

const slice = (raw: Buffer, r: { start: number; end: number } | null): string => {
  assert.ok(r, "a range");
  return raw.toString("latin1", r.start, r.end);
};

function streamed(raw: Buffer, sizes: number[]): ParsedMessage {
  const p = new MessageParser();
  let at = 0;
  for (let i = 0; at < raw.length; i++) {
    const n = sizes[i % sizes.length];
    p.write(raw.subarray(at, at + n));
    at += n;
  }
  return p.end();
}

test("the packages whose internals the summary mirrors are the pinned versions, from mailparser's own view too", () => {
  const pkg = JSON.parse(fs.readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { dependencies: Record<string, string> };
  const require = createRequire(import.meta.url);
  const fromMailparser = createRequire(require.resolve("mailparser"));
  const installed = (r: NodeJS.Require, name: string): string => {
    // the package's own package.json, found next to its entry point
    let dir = path.dirname(r.resolve(name));
    while (!fs.existsSync(path.join(dir, "package.json")) || JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).name !== name) dir = path.dirname(dir);
    return JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).version;
  };
  for (const [name, version] of Object.entries(MIRRORED_VERSIONS)) {
    assert.equal(pkg.dependencies[name], version, `package.json pins ${name} exactly`);
    assert.equal(installed(require, name), version, `${name} installed`);
  }
  assert.equal(installed(fromMailparser, "@zone-eu/mailsplit"), MIRRORED_VERSIONS["@zone-eu/mailsplit"], "mailparser's own mailsplit");
  assert.equal(installed(fromMailparser, "libmime"), MIRRORED_VERSIONS.libmime, "mailparser's own libmime");
});

test("a single-part message: offsets, lines, envelope, sections", () => {
  const raw = FIXTURES.plain;
  const r = parseMessage(raw);
  assert.equal(r.reduced, undefined);
  const s = r.structure;
  assert.equal(raw.toString("latin1", s.bodyStart - 4, s.bodyStart), "\r\n\r\n");
  assert.deepEqual([s.type, s.subtype, s.encoding, s.params], ["text", "plain", "7bit", { charset: "us-ascii" }]);
  assert.equal(slice(raw, sectionRange(s, "1")), "Hello Bob,\r\n\r\ntwo lines.\r\n");
  assert.equal(s.lines, 3);
  assert.equal(slice(raw, sectionRange(s, "TEXT")), slice(raw, sectionRange(s, "1")));
  assert.ok(slice(raw, sectionRange(s, "HEADER")).endsWith("charset=us-ascii\r\n\r\n"));
  assert.equal(slice(raw, sectionRange(s, "")), raw.toString("latin1"));
  assert.equal(sectionRange(s, "2"), null);
  assert.equal(sectionRange(s, "1.1"), null);
  assert.deepEqual(r.envelope, {
    date: "Mon, 23 Nov 2026 10:00:00 +0000",
    subject: "fixture",
    from: "Ann <ann@example.org>",
    sender: null,
    replyTo: null,
    to: "bob@example.net",
    cc: null,
    bcc: null,
    inReplyTo: null,
    messageId: "<f1@example.org>",
  });
  assert.deepEqual(attachments(s), []);
});

test("nested multiparts: every part's offsets slice its MIME header and body", () => {
  const raw = FIXTURES.nested;
  const r = parseMessage(raw);
  const s = r.structure;
  assertNested(s, raw.length);
  const types = [...walkParts(s)].map(({ section, part }) => `${section}:${part.type}/${part.subtype}`);
  assert.deepEqual(types, [":multipart/mixed", "1:multipart/alternative", "1.1:text/plain", "1.2:multipart/related", "1.2.1:text/html", "1.2.2:image/png", "2:application/pdf"]);
  assert.equal(slice(raw, sectionRange(s, "1.1")), "Caf=C3=A9 plain");
  assert.equal(slice(raw, sectionRange(s, "1.1.MIME")), "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n");
  assert.equal(slice(raw, sectionRange(s, "1.2.2")), PNG_1PX);
  assert.equal(slice(raw, sectionRange(s, "2")), "UERG");
  assert.equal(partContent(raw, partAt(s, "2")!)?.toString(), "PDF");
  assert.equal(partContent(raw, partAt(s, "1.1")!)?.toString(), "Café plain");
  assert.equal(decodeBody(Buffer.from("x"), "x-uuencode"), null, "an unknown encoding is not guessed at");
  assert.ok(slice(raw, sectionRange(s, "1")).startsWith("--alt\r\n") && slice(raw, sectionRange(s, "1")).endsWith("--rel--\r\n--alt--"));
  assert.ok(slice(raw, sectionRange(s, "TEXT")).startsWith("preamble\r\n--outer") && slice(raw, sectionRange(s, "TEXT")).endsWith("--outer--\r\nepilogue\r\n"));
  const pdf = partAt(s, "2")!;
  // RFC 2231 continuations with a charset, in both the name and the filename
  assert.equal(pdf.params.name, "€ rates.pdf");
  assert.deepEqual(pdf.disposition, { type: "attachment", params: { filename: "€ rates.pdf", size: "3" } });
  assert.equal(pdf.description, "the rates");
  assert.deepEqual(pdf.language, ["en", "de"]);
  assert.equal(partAt(s, "1.2.2")!.id, "<logo@x>");
  assert.deepEqual(attachments(s), [
    { section: "1.2.2", filename: "", contentType: "image/png", size: 70, inline: true, contentId: "logo@x" },
    { section: "2", filename: "€ rates.pdf", contentType: "application/pdf", size: 3, inline: false, contentId: "" },
  ]);
  assert.equal(Buffer.from(PNG_1PX, "base64").length, 70);
  assert.equal(partAt(s, "3"), null);
  assert.equal(partAt(s, "0"), null);
  assert.equal(partAt(s, "1.1.1"), null);
  assert.equal(r.summary.snippet, "Café plain");
  assert.equal(r.summary.hasAttachments, true);
});

test("message/rfc822: the embedded message's envelope, header, text and parts", () => {
  const raw = FIXTURES.rfc822;
  const s = parseMessage(raw).structure;
  assertNested(s, raw.length);
  const fwd = partAt(s, "2")!;
  assert.equal(`${fwd.type}/${fwd.subtype}`, "message/rfc822");
  assert.ok(fwd.message);
  assert.equal(fwd.message.envelope.subject, "=?utf-8?q?inner_=E2=9C=93?=", "ENVELOPE values stay encoded");
  assert.equal(fwd.message.envelope.from, "Inner <inner@example.com>");
  assert.ok(slice(raw, sectionRange(s, "2.HEADER")).startsWith("From: Inner") && slice(raw, sectionRange(s, "2.HEADER")).endsWith("boundary=in\r\n\r\n"));
  assert.ok(slice(raw, sectionRange(s, "2.TEXT")).startsWith("--in\r\n") && slice(raw, sectionRange(s, "2.TEXT")).endsWith("--in--"));
  assert.equal(slice(raw, sectionRange(s, "2")), slice(raw, sectionRange(s, "2.HEADER")) + slice(raw, sectionRange(s, "2.TEXT")));
  assert.equal(slice(raw, sectionRange(s, "2.1")), "inner text");
  assert.equal(slice(raw, sectionRange(s, "2.2")), "<p>inner html</p>");
  assert.equal(slice(raw, sectionRange(s, "2.2.MIME")), "Content-Type: text/html\r\n\r\n");
  assert.equal(sectionRange(s, "1.HEADER"), null, "HEADER of a part that is no message");
  assert.equal(fwd.lines, 15);
  assert.deepEqual(attachments(s).map((a) => [a.section, a.filename, a.contentType]), [["2", "fwd.eml", "message/rfc822"]]);
  const sections = [...walkParts(s)].map((p) => p.section);
  assert.deepEqual(sections, ["", "1", "2", "2.1", "2.2"]);
});

test("broken boundaries: an outer delimiter ends an unclosed inner multipart; a header running into a delimiter; no closing delimiter", () => {
  const raw = FIXTURES.brokenBoundaries;
  const r = parseMessage(raw);
  const s = r.structure;
  assertNested(s, raw.length);
  assert.equal(s.parts!.length, 3);
  assert.equal(slice(raw, sectionRange(s, "1.1")), "never closed inner part");
  assert.equal(slice(raw, sectionRange(s, "2.MIME")), "Content-Type: text/plain");
  assert.equal(partAt(s, "2")!.size, 0);
  assert.equal(slice(raw, sectionRange(s, "3")), "last part, no closing delimiter\r\n");
  assert.equal(r.summary.snippet, "never closed inner part last part, no closing delimiter");
});

test("8-bit headers stay as they came: UTF-8 as text, other bytes as latin1; an unparsable Date stores no sent date", () => {
  const r = parseMessage(FIXTURES.eightBitHeaders);
  assert.equal(r.envelope.subject, "Grüße ✓");
  assert.equal(r.envelope.from, "Jürgen <j@example.de>");
  assert.equal(r.envelope.cc, "Ren\xe9 <rene@example.fr>");
  assert.equal(Buffer.from(r.envelope.cc!, "latin1")[3], 0xe9, "the latin1 byte survives");
  assert.equal(r.envelope.date, "not a date");
  assert.equal(r.summary.sentDate, null);
  assert.equal(r.summary.subject, "Grüße ✓");
  assert.equal(r.summary.fromName, "Jürgen");
});

test("multipart/digest: parts without a Content-Type are messages (RFC 2046 5.1.5)", () => {
  const raw = FIXTURES.digest;
  const s = parseMessage(raw).structure;
  assertNested(s, raw.length);
  const first = partAt(s, "1")!;
  assert.equal(`${first.type}/${first.subtype}`, "message/rfc822");
  assert.equal(first.message?.envelope.subject, "first");
  assert.equal(slice(raw, sectionRange(s, "1.TEXT")), "first body");
  assert.equal(`${partAt(s, "2")!.type}/${partAt(s, "2")!.subtype}`, "text/plain");
});

test("odd shapes: multipart without a boundary, header only, LF line endings", () => {
  const nb = parseMessage(FIXTURES.noBoundary).structure;
  assert.deepEqual([nb.type, nb.subtype, nb.parts], ["text", "plain", undefined], "RFC 2046 requires a boundary: without one the body is text");
  const ho = parseMessage(FIXTURES.headerOnly);
  assert.deepEqual([ho.structure.bodyStart, ho.structure.bodyEnd, ho.structure.size], [FIXTURES.headerOnly.length, FIXTURES.headerOnly.length, 0]);
  assert.equal(ho.summary.subject, "fixture");
  const raw = FIXTURES.lfOnly;
  const lf = parseMessage(raw).structure;
  assertNested(lf, raw.length);
  assert.equal(slice(raw, sectionRange(lf, "1")), "unix");
  assert.equal(slice(raw, sectionRange(lf, "2.MIME")), "Content-Type: application/zip\n\n");
  assert.equal(parseMessage(Buffer.alloc(0)).structure.bodyEnd, 0);
});

test("the summaries of the fixtures equal mailparser's but for the differences documented above", async () => {
  const documented: Record<string, Partial<Record<keyof MessageSummary, unknown>>> = {
    eightBitHeaders: { sentDate: null },
    digest: { snippet: "not a message" },
  };
  for (const [name, raw] of Object.entries(FIXTURES)) {
    const ours = parseMessage(raw).summary;
    const ref = await summariseWithMailparser(raw);
    const expected = { ...ref, ...(documented[name] ?? {}) };
    if (name === "eightBitHeaders") assert.ok(ref.sentDate && Math.abs(ref.sentDate.getTime() - Date.now()) < 60_000, "mailparser: the time of parsing");
    if (name === "digest") assert.match(ref.snippet, /^From: one@example.com Subject: first first body/, "mailparser: the digest's message as text");
    assert.deepEqual(ours, expected, name);
  }
});

test("a text part after two others still reaches the snippet (the text cap is spent by use, not reserved)", () => {
  const parts = ["a", "b", "c", "d"].flatMap((t) => ["--m", "Content-Type: text/plain", "", `part ${t}`]);
  const r = parseMessage(msg(["Content-Type: multipart/mixed; boundary=m", "", ...parts, "--m--", ""]));
  assert.equal(r.summary.snippet, "part a part b part c part d");
});

test("streaming in any chunk sizes gives what one write gives", () => {
  for (const [name, raw] of Object.entries(FIXTURES)) {
    const whole = parseMessage(raw);
    for (const sizes of [[1], [2, 3], [7], [64, 1, 5], [raw.length]]) assert.deepEqual(streamed(raw, sizes), whole, `${name} in chunks of ${sizes}`);
  }
});

test("the structure serialises to JSON and back unchanged", () => {
  const s = parseMessage(FIXTURES.rfc822).structure;
  const json = JSON.stringify(s);
  assert.deepEqual(JSON.parse(json) as MimePart, s);
  assert.ok(json.length < 2000, `${json.length} bytes`);
});

test("a parser failure gives a minimal summary, never an exception", () => {
  const p = new MessageParser();
  p.write(Buffer.from("From: a@example.com\r\nSubject: half\r\n"));
  p.write({ length: 3 } as unknown as Buffer); // not a Buffer: the parser's own code throws inside
  const r = p.end();
  assert.match(r.reduced ?? "", /the parser failed/);
  assert.equal(r.summary.snippet, "");
  assert.equal(r.structure.bodyEnd, 36);
  assert.deepEqual(p.end(), r, "end() again gives the same");
});

// ----- pathological input: reduced, in bounded time and memory -----------------------------

const timed = <T>(f: () => T): [T, number] => {
  const t = performance.now();
  const v = f();
  return [v, performance.now() - t];
};

test("a folded header over 1 MB is cut, the rest of the message still parsed", () => {
  const fold = Array.from({ length: 40_000 }, (_, i) => ` folded-continuation-line-${i}`).join("\r\n");
  const raw = msg(["From: a@example.com", "Subject: huge", `X-Long: start\r\n${fold}`, "To: b@example.com", "Content-Type: text/plain", "", "the body", ""]);
  assert.ok(raw.length > 1024 * 1024);
  const [r, ms] = timed(() => parseMessage(raw));
  assert.match(r.reduced ?? "", /header block over/);
  assert.equal(r.summary.subject, "huge");
  assert.equal(r.summary.snippet, "the body");
  assert.equal(raw.toString("latin1", r.structure.bodyStart, r.structure.bodyEnd), "the body\r\n");
  assert.ok(ms < 2000, `${ms} ms`);
});

test("1,000 nested multiparts: nesting past the limit is one opaque part", () => {
  const depth = 1000;
  const open: string[] = [];
  const close: string[] = [];
  for (let i = 0; i < depth; i++) {
    open.push(`--b${i}`, `Content-Type: multipart/mixed; boundary=b${i + 1}`, "");
    close.unshift(`--b${i}--`);
  }
  const raw = msg(["From: a@example.com", "Subject: deep", "Content-Type: multipart/mixed; boundary=b0", "", ...open, `--b${depth}`, "Content-Type: text/plain", "", "deep text", `--b${depth}--`, ...close, ""]);
  const [r, ms] = timed(() => parseMessage(raw));
  assert.match(r.reduced ?? "", /nested deeper than/);
  assertNested(r.structure, raw.length);
  let d = 0;
  for (let p: MimePart | undefined = r.structure; p?.parts?.length; p = p.parts[0]) d++;
  assert.ok(d <= PARSER_LIMITS.maxDepth, `depth ${d}`);
  assert.ok(ms < 2000, `${ms} ms`);
});

test("20,000 parts: the first ones are listed, the message ends where it ends", () => {
  const parts: string[] = [];
  for (let i = 0; i < 20_000; i++) parts.push("--p", "Content-Type: application/octet-stream", "", `part ${i}`);
  const raw = msg(["From: a@example.com", "Subject: many", "Content-Type: multipart/mixed; boundary=p", "", "--p", "Content-Type: text/plain", "", "first text", ...parts, "--p--", ""]);
  const [r, ms] = timed(() => parseMessage(raw));
  assert.match(r.reduced ?? "", /more than 2000 parts/);
  assert.equal(r.structure.parts!.length, PARSER_LIMITS.maxParts - 1);
  assertNested(r.structure, raw.length);
  assert.equal(r.summary.snippet, "first text");
  assert.equal(r.summary.hasAttachments, true);
  assert.ok(JSON.stringify(r.structure).length < 600_000);
  assert.ok(ms < 3000, `${ms} ms`);
});

test("1,000 messages forwarded inside each other: nesting past the limit is one opaque part", () => {
  const open: string[] = [];
  for (let i = 0; i < 1000; i++) open.push(`Subject: level ${i}`, "Content-Type: message/rfc822", "");
  const raw = msg(["From: a@example.com", ...open, "Subject: innermost", "", "deep text", ""]);
  const [r, ms] = timed(() => parseMessage(raw));
  assert.match(r.reduced ?? "", /messages nested deeper than/);
  assertNested(r.structure, raw.length);
  let d = 0;
  for (let p: MimePart | undefined = r.structure; p?.message; p = p.message.part) d++;
  assert.ok(d > 10 && d <= PARSER_LIMITS.maxDepth, `depth ${d}`);
  assert.ok(ms < 2000, `${ms} ms`);
});

test("a To header with 6,000 addresses (about 220 KB)", () => {
  const to = Array.from({ length: 6_000 }, (_, i) => `"User ${i}" <u${i}@example.com>`).join(",\r\n ");
  const raw = msg(["From: a@example.com", `To: ${to}`, "Subject: many", "", "text", ""]);
  const [r, ms] = timed(() => parseMessage(raw));
  assert.equal(r.reduced, undefined);
  assert.equal(r.summary.to.length, 6_000);
  assert.equal(r.envelope.to?.length, to.replace(/\r\n/g, "").length);
  assert.ok(ms < 3000, `${ms} ms`);
});

test("a summary past its time budget leaves the text out and says so", () => {
  const saved = PARSER_LIMITS.snippetMs;
  PARSER_LIMITS.snippetMs = -1;
  try {
    const r = parseMessage(FIXTURES.plain);
    assert.equal(r.summary.snippet, "");
    assert.equal(r.summary.subject, "fixture");
    assert.match(r.reduced ?? "", /the snippet took over -1 ms/);
  } finally {
    PARSER_LIMITS.snippetMs = saved;
  }
});

test("a 20 MB message streamed in 64 KB chunks keeps far less than the message in memory", () => {
  const line = Buffer.from("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\r\n");
  const chunk = Buffer.concat(Array.from({ length: Math.floor(65536 / line.length) }, () => line));
  const head = msg(["From: a@example.com", "Subject: big", "Content-Type: multipart/mixed; boundary=z", "", "--z", "Content-Type: text/plain", "", utf8("Big file attached ✓ ") + "x ".repeat(40_000), "--z", "Content-Type: application/octet-stream", "Content-Transfer-Encoding: base64", "", ""]);
  const tail = Buffer.from("\r\n--z--\r\n");
  // what the parser keeps, not the garbage it leaves: the heap measured after a collection
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc") as () => void;
  const p = new MessageParser();
  gc();
  const before = process.memoryUsage().heapUsed;
  let peak = 0;
  p.write(head);
  let total = head.length;
  for (let i = 1; total < 20 * 1024 * 1024; i++) {
    p.write(chunk);
    total += chunk.length;
    if (i % 32 === 0) {
      gc();
      peak = Math.max(peak, process.memoryUsage().heapUsed - before);
    }
  }
  p.write(tail);
  total += tail.length;
  const r = p.end();
  assert.equal(r.reduced, undefined);
  assert.equal(r.structure.bodyEnd, total);
  assert.equal(partAt(r.structure, "2")!.size, total - tail.length - partAt(r.structure, "2")!.bodyStart);
  assert.ok(r.summary.snippet.startsWith("Big file attached ✓ x x"));
  assert.ok(peak < 2 * 1024 * 1024, `the parser kept ${peak} bytes while streaming 20 MB`);
});
