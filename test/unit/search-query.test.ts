/** The webmail's search language (lib/search-query) to the store's search keys. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseQuery, parseAge, parseDate, parseSize } from "../../lib/search-query";

const NOW = new Date("2026-03-15T12:00:00Z");
const q = (s: string) => parseQuery(s, NOW);

test("free words and phrases search the text; the empty query matches all", () => {
  assert.deepEqual(q("").key, { op: "all" });
  assert.deepEqual(q("   ").key, { op: "all" });
  assert.deepEqual(q("invoice").key, { op: "text", value: "invoice" });
  assert.deepEqual(q('invoice "march report"').key, {
    op: "and",
    keys: [
      { op: "text", value: "invoice" },
      { op: "text", value: "march report" },
    ],
  });
  assert.deepEqual(q('invoice "march report"').highlight, ["invoice", "march report"]);
  assert.deepEqual(q('"unclosed phrase').key, { op: "text", value: "unclosed phrase" });
});

test("address and subject operators, quoted values, case of the operator name", () => {
  assert.deepEqual(q("from:alice@example.com").key, { op: "from", value: "alice@example.com" });
  assert.deepEqual(q('FROM:"Alice Smith"').key, { op: "from", value: "Alice Smith" });
  assert.deepEqual(q('subject:"Q1 numbers" to:bob cc:carol').key, {
    op: "and",
    keys: [
      { op: "subject", value: "Q1 numbers" },
      { op: "to", value: "bob" },
      { op: "cc", value: "carol" },
    ],
  });
  assert.deepEqual(q('subject:"Q1 numbers"').highlight, ["Q1 numbers"]);
});

test("has:, filename:, is:", () => {
  assert.deepEqual(q("has:attachment").key, { op: "attachment" });
  assert.deepEqual(q("filename:report.pdf").key, { op: "filename", value: "report.pdf" });
  assert.deepEqual(q("is:unread").key, { op: "flag", flag: "seen", set: false });
  assert.deepEqual(q("is:read").key, { op: "flag", flag: "seen", set: true });
  assert.deepEqual(q("is:starred").key, { op: "flag", flag: "flagged", set: true });
  assert.deepEqual(q("-is:starred").key, { op: "not", key: { op: "flag", flag: "flagged", set: true } });
});

test("in: is a scope, not a condition; the last one wins; in:anywhere", () => {
  assert.deepEqual(q("in:Sent hello"), { key: { op: "text", value: "hello" }, folder: "Sent", highlight: ["hello"], unknown: [] });
  assert.equal(q("in:anywhere").folder, "anywhere");
  assert.equal(q("in:ANYWHERE").folder, "anywhere");
  assert.equal(q("in:Trash in:Archive").folder, "Archive");
  assert.equal(q('in:"Work/Clients 2026"').folder, "Work/Clients 2026");
  assert.deepEqual(q("in:Sent").key, { op: "all" });
  assert.equal(q("x").folder, null);
});

test("dates: before:/after: (Gmail's slashes or ISO), older_than:/newer_than: from now", () => {
  assert.deepEqual(q("before:2026/01/31").key, { op: "before", date: "2026-01-31" });
  assert.deepEqual(q("after:2025-12-01").key, { op: "since", date: "2025-12-01" });
  assert.deepEqual(q("older_than:2d").key, { op: "before", date: "2026-03-13" });
  assert.deepEqual(q("newer_than:1w").key, { op: "since", date: "2026-03-08" });
  assert.deepEqual(q("newer_than:1y").key, { op: "since", date: "2025-03-15" });
  // An impossible date is text, and reported.
  assert.deepEqual(q("before:2026/02/30").key, { op: "text", value: "before:2026/02/30" });
  assert.deepEqual(q("before:2026/02/30").unknown, ["before:2026/02/30"]);
});

test("sizes: larger:/smaller: with K, M, G (binary units) or bytes", () => {
  assert.deepEqual(q("larger:10M").key, { op: "larger", size: 10 * 1024 * 1024 });
  assert.deepEqual(q("smaller:500k").key, { op: "smaller", size: 500 * 1024 });
  assert.deepEqual(q("larger:2000").key, { op: "larger", size: 2000 });
  assert.deepEqual(q("larger:1.5MB").key, { op: "larger", size: 1572864 });
});

test("-word negates, OR joins its neighbours, parentheses group", () => {
  assert.deepEqual(q("-newsletter").key, { op: "not", key: { op: "text", value: "newsletter" } });
  assert.deepEqual(q("-newsletter").highlight, [], "negated words are not highlighted");
  assert.deepEqual(q("from:alice OR from:bob").key, { op: "or", a: { op: "from", value: "alice" }, b: { op: "from", value: "bob" } });
  assert.deepEqual(q("a OR b OR c").key, { op: "or", a: { op: "or", a: { op: "text", value: "a" }, b: { op: "text", value: "b" } }, b: { op: "text", value: "c" } });
  // OR binds tighter than the implicit AND, as in Gmail.
  assert.deepEqual(q("x a OR b").key, { op: "and", keys: [{ op: "text", value: "x" }, { op: "or", a: { op: "text", value: "a" }, b: { op: "text", value: "b" } }] });
  assert.deepEqual(q("(a b) OR c").key, { op: "or", a: { op: "and", keys: [{ op: "text", value: "a" }, { op: "text", value: "b" }] }, b: { op: "text", value: "c" } });
  assert.deepEqual(q("-(a OR b)").key, { op: "not", key: { op: "or", a: { op: "text", value: "a" }, b: { op: "text", value: "b" } } });
  // "or" in lower case is a word; "-" alone is a word.
  assert.deepEqual(q("this or that").key, { op: "and", keys: ["this", "or", "that"].map((value) => ({ op: "text", value })) });
  assert.deepEqual(q("a - b").key, { op: "and", keys: ["a", "-", "b"].map((value) => ({ op: "text", value })) });
});

test("hostile or broken input never throws and stays bounded", () => {
  for (const s of ["(", ")", "((((", "))) a", "OR", "OR OR a OR", "-", '"', 'from:"', "in:", "is:", "a:b:c", "-(", "larger:", "x".repeat(10_000), "(".repeat(5000)]) {
    const r = q(s);
    assert.ok(r.key && typeof r.key.op === "string", s.slice(0, 20));
  }
  assert.deepEqual(q(") a").key, { op: "text", value: "a" });
  assert.deepEqual(q("foo:bar").key, { op: "text", value: "foo:bar" }, "not an operator: text");
  assert.deepEqual(q("foo:bar").unknown, [], "only known operators with bad values are reported");
  assert.deepEqual(q("is:important").unknown, ["is:important"]);
});

test("value parsers", () => {
  assert.equal(parseDate("2024/2/29"), "2024-02-29");
  assert.equal(parseDate("2023/2/29"), null);
  assert.equal(parseDate("yesterday"), null);
  assert.equal(parseAge("3m"), 90);
  assert.equal(parseAge("3x"), null);
  assert.equal(parseSize("1g"), 1024 ** 3);
  assert.equal(parseSize("big"), null);
});
