/** RFC 5256 2.1 base subject extraction, rule by rule, and the THREAD algorithms on small mailboxes. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { baseSubject, compareKey } from "../../lib/mime/base-subject";
import { orderedSubject, referencesThreads, renderThreads, type ThreadInput } from "../../mail-engine/imap/thread";

const base = (s: string) => baseSubject(s).base;

test("(1) tabs, continuations and runs of spaces become one space", () => {
  assert.equal(base("a\tb  c\r\n d"), "a b c d");
});

test("(2) trailing (fwd) and white space, repeatedly; (fwd) marks a forward", () => {
  assert.deepEqual(baseSubject("report (fwd) (FWD)  "), { base: "report", reply: true });
  assert.deepEqual(baseSubject("report  "), { base: "report", reply: false });
});

test("(3) subj-leader: Re:, Fw:, Fwd:, with blobs before and one inside, repeatedly", () => {
  assert.deepEqual(baseSubject("Re: hello"), { base: "hello", reply: true });
  assert.equal(base("RE: Fwd: FW: hello"), "hello");
  assert.equal(base("re[2]: hello"), "hello");
  assert.equal(base("[list] Re: hello"), "hello");
  assert.equal(base("[a][b] re : hello"), "hello");
  assert.equal(base("Rex: hello"), "Rex: hello", "only re, fw, fwd are leaders");
});

test("(4) a leading blob goes only when something is left after it", () => {
  assert.deepEqual(baseSubject("[list] hello"), { base: "hello", reply: false });
  assert.equal(base("[list]"), "[list]");
  assert.equal(base("[a] [b]"), "[b]");
});

test("(5)/(6) [fwd: ...] is unwrapped and the rules applied again", () => {
  assert.deepEqual(baseSubject("[Fwd: Re: hello (fwd)]"), { base: "hello", reply: true });
  assert.equal(base("Re: [fwd: [list] Re: x]"), "x");
  assert.equal(base(""), "");
});

test("comparison is i;ascii-casemap: ASCII letters only are folded", () => {
  assert.equal(compareKey("Hello été"), "HELLO éTé");
});

const msg = (id: number, date: number, subject: string, messageId = "", references: string[] = [], inReplyTo = ""): ThreadInput => ({ id, seq: id, date, subject, messageId, references, inReplyTo });

test("ORDEREDSUBJECT: one thread per base subject under its earliest message, threads by date", () => {
  const t = orderedSubject([msg(1, 30, "b"), msg(2, 10, "a"), msg(3, 20, "Re: a"), msg(4, 40, "re: b"), msg(5, 15, "A")]);
  assert.equal(renderThreads(t), "(2 (5)(3))(1 4)");
});

test("REFERENCES: links by References / In-Reply-To, dummies pruned, same-subject roots gathered", () => {
  const t = referencesThreads([
    msg(1, 10, "topic", "<a@x>"),
    msg(2, 20, "Re: topic", "<b@x>", ["<a@x>"]),
    msg(3, 30, "Re: topic", "<c@x>", [], "<a@x>"),
    // Its parent <gone@x> is not here (a dummy): it stands alone, then joins "other" by subject.
    msg(4, 40, "Re: other", "<d@x>", ["<gone@x>"]),
    msg(5, 5, "other", "<e@x>"),
    msg(6, 50, "alone", "<a@x>"), // a duplicate Message-ID is its own message
  ]);
  assert.equal(renderThreads(t), "(5 4)(1 (2)(3))(6)");
});

test("REFERENCES: a link that would make a loop is not made", () => {
  const t = referencesThreads([msg(1, 30, "", "<a@b>"), msg(2, 10, "", "<b@b>", ["<a@b>", "<c@b>"]), msg(3, 20, "", "<c@b>", ["<b@b>"])]);
  assert.equal(renderThreads(t), "(3 2)(1)");
});
