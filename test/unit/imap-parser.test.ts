/** The IMAP command reader, tokenizer, sequence sets, modified UTF-7 and response encoding. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { CommandReader, DEFAULT_LIMITS, type ReaderEvent } from "../../mail-engine/imap/parser/reader";
import { parseCommand, ParseError, tokenize } from "../../mail-engine/imap/parser/tokens";
import { parseSequenceSet } from "../../mail-engine/imap/parser/sequence";
import { decodeMutf7, encodeMutf7 } from "../../mail-engine/imap/mutf7";
import { encode, raw } from "../../mail-engine/imap/encode";
import { patternRegex } from "../../mail-engine/imap/commands/mailboxes";
import { parseDateTime } from "../../mail-engine/imap/commands/append";
import { filterHeader } from "../../mail-engine/imap/render";
import { addressList } from "../../lib/imap/structure";

function events(r: CommandReader, input: string | Buffer): ReaderEvent[] {
  r.push(Buffer.isBuffer(input) ? input : Buffer.from(input, "latin1"));
  const out: ReaderEvent[] = [];
  for (;;) {
    const e = r.next();
    if (e.kind === "more") return out;
    out.push(e);
  }
}

test("reader: lines, a synchronising literal asks to continue, LITERAL+ does not, split input", () => {
  const r = new CommandReader();
  assert.deepEqual(events(r, "a NOOP\r\nb LOGIN {5}\r\n"), [{ kind: "command", command: { text: ["a NOOP"], literals: [] } }, { kind: "continue", size: 5 }]);
  assert.deepEqual(events(r, "al"), []);
  const e = events(r, 'ice "pw"\r\nc APPEND X {3+}\r\nabc\r\n');
  assert.equal(e.length, 2);
  assert.deepEqual(e[0], { kind: "command", command: { text: ["b LOGIN ", ' "pw"'], literals: [Buffer.from("alice")] } });
  assert.equal(e[1].kind, "command");
  assert.ok(e[1].kind === "command");
  const cmd = parseCommand(e[1].command);
  assert.equal(cmd.name, "APPEND");
  assert.equal(cmd.args[1].type === "string" && cmd.args[1].value.toString(), "abc");
});

test("reader: limits refuse a command by its tag and skip it whole", () => {
  const r = new CommandReader({ ...DEFAULT_LIMITS, maxLine: 100, maxLiteral: 10, maxNonSyncLiteral: 4 });
  assert.deepEqual(events(r, "a1 LOGIN {11}\r\n"), [{ kind: "error", tag: "a1", message: "literal larger than 10 octets" }]);
  // a too-large LITERAL+ is sent anyway (RFC 7888): its bytes and the rest of the command are skipped
  const e = events(r, "a2 LOGIN {5+}\r\nhello x\r\na3 NOOP\r\n");
  assert.equal(e[0].kind, "error");
  assert.deepEqual(e[1], { kind: "command", command: { text: ["a3 NOOP"], literals: [] } });
  const long = events(r, "a4 NOOP " + "x".repeat(200) + "\r\na5 NOOP\r\n");
  assert.equal(long[0].kind, "error");
  assert.equal((long[0] as { tag: string }).tag, "a4");
  assert.deepEqual(long[1], { kind: "command", command: { text: ["a5 NOOP"], literals: [] } });
});

test("tokens: atoms, quoted strings with escapes, nested lists, sections with partials", () => {
  const t = tokenize({ text: ['FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (From "To")]<0.100> "a\\"b\\\\c")'], literals: [] });
  assert.equal(t[0].type === "atom" && t[0].value, "FETCH");
  const list = t[2].type === "list" ? t[2].items : [];
  const body = list[1];
  assert.ok(body.type === "atom" && body.section && body.partial);
  assert.deepEqual(body.partial, [0, 100]);
  assert.equal(list[2].type === "string" && list[2].value.toString(), 'a"b\\c');
  for (const bad of ['"open', "(a", "a)", "BODY[", 'x "\\n"', "a\u0001b", "BODY[]<x>"]) {
    assert.throws(() => tokenize({ text: [bad], literals: [] }), ParseError, bad);
  }
  const deep = "(".repeat(40) + ")".repeat(40);
  assert.throws(() => tokenize({ text: [deep], literals: [] }), /nested/);
  assert.throws(() => parseCommand({ text: ["+tag NOOP"], literals: [] }), ParseError);
});

test("sequence sets: ranges either way round, * as the largest, 0 refused", () => {
  assert.deepEqual(parseSequenceSet("1:3,7,9:*", 12), [[1, 3], [7, 7], [9, 12]]);
  assert.deepEqual(parseSequenceSet("5:2", 9), [[2, 5]]);
  assert.deepEqual(parseSequenceSet("*:4", 2), [[2, 4]]);
  for (const bad of ["", "0", "1:0", "a", "1,,2", "1:2:3"]) assert.throws(() => parseSequenceSet(bad, 5), ParseError, bad);
});

test("modified UTF-7 round trips and refuses bad input (RFC 3501 5.1.3)", () => {
  for (const name of ["INBOX", "Résumés", "Ω/日本語", "a&b", "~peter/mail/台北/日本語"]) assert.equal(decodeMutf7(encodeMutf7(name)), name);
  assert.equal(encodeMutf7("a&b"), "a&-b");
  assert.equal(encodeMutf7("~peter/mail/台北/日本語"), "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
  assert.equal(decodeMutf7("&Jjo"), null);
});

test("encoding: quoted when safe, literal for 8-bit and CR/LF, NIL, lists", () => {
  assert.equal(encode(["a\"b", null, 5, raw("\\Seen"), "é", "x\r\ny"]).map((c) => c.toString()).join(""), '("a\\"b" NIL 5 \\Seen {2}\r\né {4}\r\nx\r\ny)');
});

test("LIST patterns: * crosses the separator, % does not, INBOX in any case", () => {
  assert.ok(patternRegex("*").test("a/b/c"));
  assert.ok(patternRegex("%").test("a") && !patternRegex("%").test("a/b"));
  assert.ok(patternRegex("a/%").test("a/b") && !patternRegex("a/%").test("a/b/c"));
  assert.ok(patternRegex("inbox").test("INBOX"));
  assert.ok(!patternRegex("a.b").test("aXb"), "regex characters are literal");
});

test("APPEND date-time and HEADER.FIELDS filtering", () => {
  assert.equal(parseDateTime("30-Nov-2026 09:00:00 +0100").toISOString(), "2026-11-30T08:00:00.000Z");
  assert.equal(parseDateTime(" 1-Jan-2026 00:00:00 -0000").toISOString(), "2026-01-01T00:00:00.000Z");
  assert.throws(() => parseDateTime("31-Feb-2026 00:00:00 +0000"));
  const h = Buffer.from("From: a\r\nSubject: one\r\n two\r\nTo: b\r\n\r\n");
  assert.equal(filterHeader(h, ["subject"], false).toString(), "Subject: one\r\n two\r\n\r\n");
  assert.equal(filterHeader(h, ["SUBJECT"], true).toString(), "From: a\r\nTo: b\r\n\r\n");
});

test("ENVELOPE addresses: names, groups (members without an address left out), source routes", () => {
  assert.deepEqual(addressList('"Real Name" <user@domain>'), [["Real Name", null, "user", "domain"]]);
  assert.deepEqual(addressList("group: g1@d1.org, \"foo\";"), [[null, null, "group", null], [null, null, "g1", "d1.org"], [null, null, null, null]]);
  assert.deepEqual(addressList("<@route:user@domain>"), [[null, "@route", "user", "domain"]]);
  assert.equal(addressList(""), null);
});
