/**
 * The word rule shared by the full-text index and the fallback scan (lib/mime/search-text.ts),
 * the text taken from a message's parts, and the Date header's own day for SENT*.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { words, extractSearchTextSync, MAX_WORD } from "../../lib/mime/search-text";
import { parseMessage } from "../../lib/mime/message-parser";
import { headerDay } from "../../lib/store/search";

test("words: letters and digits, lower-cased, accents dropped, long runs cut; ASCII and Unicode paths agree", () => {
  assert.deepEqual([...words("Hello, WORLD! it's 2024 e-mail")], ["hello", "world", "it", "s", "2024", "e", "mail"]);
  assert.deepEqual([...words("Crème Brûlée naïve ÉCOLE")], ["creme", "brulee", "naive", "ecole"]);
  assert.deepEqual([...words("Grüße aus München")], ["gruße", "aus", "munchen"]);
  assert.equal([...words("x".repeat(200))][0].length, MAX_WORD);
  assert.deepEqual([...words("abc DEF é")].slice(0, 2), [...words("abc DEF")], "the same words with or without a non-ASCII character elsewhere");
  assert.deepEqual([...words("  ,;: ")], []);
});

test("extractSearchTextSync: text parts only, HTML as text, head words from the envelope", () => {
  const raw = Buffer.from(
    [
      "From: =?utf-8?q?Zo=C3=AB?= <zoe@example.org>",
      "Bcc: hidden@example.net",
      "Subject: Report",
      'Content-Type: multipart/mixed; boundary="x"',
      "",
      "--x",
      "Content-Type: text/html; charset=utf-8",
      "",
      "<p>Visible&nbsp;words</p><style>.hiddenstyle{}</style><a href='http://linktarget.example'>anchor</a>",
      "--x",
      "Content-Type: application/octet-stream",
      "",
      "binaryword",
      "--x--",
      "",
    ].join("\r\n"),
  );
  const p = parseMessage(raw);
  const t = extractSearchTextSync(raw, p.structure, p.envelope);
  const body = t.body.split(" ");
  for (const w of ["visible", "words", "anchor"]) assert.ok(body.includes(w), w);
  for (const w of ["hiddenstyle", "linktarget", "binaryword"]) assert.ok(!body.includes(w), w);
  const head = t.head.split(" ");
  for (const w of ["zoe", "example", "org", "hidden", "report"]) assert.ok(head.includes(w), w);
});

test("headerDay: the day as written, whatever the zone; obsolete years; unreadable dates", () => {
  assert.equal(headerDay("Mon, 6 May 2024 23:30:00 -0700"), "2024-05-06");
  assert.equal(headerDay("7 May 2024 00:30 +0900"), "2024-05-07");
  assert.equal(headerDay("Fri, 31 Dec 99 10:00:00 GMT"), "1999-12-31");
  assert.equal(headerDay("Sat, 1 Jan 05 10:00:00 GMT"), "2005-01-01");
  assert.equal(headerDay("Tuesday, 03 September 2024 10:00"), "2024-09-03");
  assert.equal(headerDay("yesterday"), null);
  assert.equal(headerDay("1 Foo 2024"), null);
});
