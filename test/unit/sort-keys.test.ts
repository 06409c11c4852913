/** The list's stored sort keys (lib/store/sort-keys.ts). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { senderSortKey, subjectSortKey } from "../../lib/store/sort-keys";

test("the sender key is the display name, else the address, lower-case", () => {
  assert.equal(senderSortKey("  Ada Lovelace ", "ada@x.example"), "ada lovelace");
  assert.equal(senderSortKey("", "Bob@X.example"), "bob@x.example");
  assert.equal(senderSortKey("   ", ""), "");
  assert.equal(senderSortKey("Émile", "e@x"), "émile");
  assert.equal(senderSortKey("x".repeat(500), "").length, 200, "bounded");
});

test("the subject key drops reply and forward prefixes, repeated, in any case", () => {
  assert.equal(subjectSortKey("Re: Lunch"), "lunch");
  assert.equal(subjectSortKey("RE: Fwd: re:  Lunch "), "lunch");
  assert.equal(subjectSortKey("Fw: AW: SV: Re[2]: Budget"), "budget");
  assert.equal(subjectSortKey("Regarding the plan"), "regarding the plan", "a word that starts with re is kept");
  assert.equal(subjectSortKey("Re:"), "");
  assert.equal(subjectSortKey("Report: Q3"), "report: q3");
});
