/** Hand-written messages for the delivery parser's tests: one per shape its structure has to get right. */
import assert from "node:assert/strict";
import type { MimePart } from "../../lib/mime/structure";

export const CRLF = "\r\n";
export const PNG_1PX = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

export const msg = (lines: string[]): Buffer => Buffer.from(lines.join(CRLF), "latin1");
export const utf8 = (s: string): string => Buffer.from(s, "utf8").toString("latin1");

const HDR = ["From: Ann <ann@example.org>", "To: bob@example.net", "Subject: fixture", "Date: Mon, 23 Nov 2026 10:00:00 +0000", "Message-ID: <f1@example.org>", "MIME-Version: 1.0"];

export const FIXTURES: Record<string, Buffer> = {
  plain: msg([...HDR, "Content-Type: text/plain; charset=us-ascii", "", "Hello Bob,", "", "two lines.", ""]),
  nested: msg([
    ...HDR,
    'Content-Type: multipart/mixed; boundary="outer"',
    "",
    "preamble",
    "--outer",
    "Content-Type: multipart/alternative; boundary=alt",
    "",
    "--alt",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: quoted-printable",
    "",
    "Caf=C3=A9 plain",
    "--alt",
    "Content-Type: multipart/related; boundary=rel",
    "",
    "--rel",
    "Content-Type: text/html; charset=utf-8",
    "",
    '<p>Caf\xc3\xa9 <img src="cid:logo@x"></p>',
    "--rel",
    "Content-Type: image/png",
    "Content-Transfer-Encoding: base64",
    "Content-ID: <logo@x>",
    "Content-Disposition: inline",
    "",
    PNG_1PX,
    "--rel--",
    "--alt--",
    "--outer",
    "Content-Type: application/pdf;\r\n name*0*=utf-8''%E2%82%AC%20rates;\r\n name*1*=.pdf",
    "Content-Disposition: attachment;\r\n filename*0*=utf-8''%E2%82%AC%20rates;\r\n filename*1*=.pdf; size=3",
    "Content-Transfer-Encoding: base64",
    "Content-Description: the rates",
    "Content-Language: en, de",
    "",
    Buffer.from("PDF").toString("base64"),
    "--outer--",
    "epilogue",
    "",
  ]),
  rfc822: msg([
    ...HDR,
    "Content-Type: multipart/mixed; boundary=fw",
    "",
    "--fw",
    "Content-Type: text/plain",
    "",
    "Forwarded below.",
    "--fw",
    "Content-Type: message/rfc822",
    'Content-Disposition: attachment; filename="fwd.eml"',
    "",
    "From: Inner <inner@example.com>",
    "Subject: =?utf-8?q?inner_=E2=9C=93?=",
    "Date: Tue, 24 Nov 2026 08:00:00 +0100",
    "Message-ID: <inner@example.com>",
    "Content-Type: multipart/alternative; boundary=in",
    "",
    "--in",
    "Content-Type: text/plain",
    "",
    "inner text",
    "--in",
    "Content-Type: text/html",
    "",
    "<p>inner html</p>",
    "--in--",
    "--fw--",
    "",
  ]),
  brokenBoundaries: msg([
    ...HDR,
    "Content-Type: multipart/mixed; boundary=b1",
    "",
    "--b1",
    "Content-Type: multipart/alternative; boundary=b2",
    "",
    "--b2",
    "Content-Type: text/plain",
    "",
    "never closed inner part",
    "--b1",
    "Content-Type: text/plain",
    "--b1",
    "Content-Type: text/plain",
    "",
    "last part, no closing delimiter",
    "",
  ]),
  eightBitHeaders: msg([
    utf8("From: Jürgen <j@example.de>"),
    "To: x@example.net",
    utf8("Subject: Grüße ✓"),
    "Cc: Ren\xe9 <rene@example.fr>",
    "Date: not a date",
    "",
    "body",
  ]),
  digest: msg([
    ...HDR,
    "Content-Type: multipart/digest; boundary=d",
    "",
    "--d",
    "",
    "From: one@example.com",
    "Subject: first",
    "",
    "first body",
    "--d",
    "Content-Type: text/plain",
    "",
    "not a message",
    "--d--",
  ]),
  noBoundary: msg([...HDR, "Content-Type: multipart/mixed", "", "--x", "text", ""]),
  headerOnly: msg([...HDR]),
  lfOnly: Buffer.from([...HDR, "Content-Type: multipart/mixed; boundary=lf", "", "--lf", "Content-Type: text/plain", "", "unix", "--lf", "Content-Type: application/zip", "", "PK", "--lf--", ""].join("\n")),
};

/** Every part's offsets are in order, inside its parent's body, and siblings do not overlap. */
export function assertNested(root: MimePart, length: number, where = ""): void {
  const check = (p: MimePart, lo: number, hi: number, path: string): void => {
    assert.ok(lo <= p.headerStart && p.headerStart <= p.bodyStart && p.bodyStart <= p.bodyEnd && p.bodyEnd <= hi, `${where} part ${path || "root"}: ${p.headerStart} ${p.bodyStart} ${p.bodyEnd} within [${lo}, ${hi}]`);
    assert.equal(p.size, p.bodyEnd - p.bodyStart, `${where} part ${path}: size`);
    assert.ok(p.lines >= 0 && p.lines <= p.size, `${where} part ${path}: lines`);
    let prev = p.bodyStart;
    (p.parts ?? []).forEach((c, i) => {
      check(c, prev, p.bodyEnd, `${path}.${i + 1}`);
      prev = c.bodyEnd;
    });
    if (p.message) {
      assert.equal(p.message.part.headerStart, p.bodyStart, `${where} part ${path}: the embedded message starts the body`);
      check(p.message.part, p.bodyStart, p.bodyEnd, `${path}.msg`);
    }
  };
  check(root, 0, length, "");
  assert.equal(root.headerStart, 0);
  assert.equal(root.bodyEnd, length, `${where} the root ends with the message`);
}
