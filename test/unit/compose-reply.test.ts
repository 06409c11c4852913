import { test } from "node:test";
import assert from "node:assert/strict";
import { forwardSubject, quoted, replyRecipients, replySubject, threadingFor, withSignature, type Original } from "../../lib/compose/reply";
import { buildMessage, inlineImages, textOfHtml } from "../../lib/compose/build";
import { splitAddresses } from "../../lib/web/compose-form";

const original: Original = {
  from: [{ name: "Bob", address: "bob@example.test" }],
  replyTo: [],
  to: [{ name: "Alice", address: "alice@example.test" }, { name: "", address: "carol@example.test" }],
  cc: [{ name: "", address: "sales@example.test" }, { name: "Dave", address: "dave@far.example" }],
  subject: "Budget",
  date: new Date("2026-11-30T10:00:00Z"),
  messageId: "<m2@example.test>",
  inReplyTo: "<m1@example.test>",
  references: ["<m0@example.test>", "<m1@example.test>"],
  text: "Line one\n> earlier quote",
};

test("subject prefixes are not doubled", () => {
  assert.equal(replySubject("Budget"), "Re: Budget");
  assert.equal(replySubject("Re: Budget"), "Re: Budget");
  assert.equal(replySubject("RE: Budget"), "Re: Budget");
  assert.equal(replySubject("AW: Budget"), "Re: Budget");
  assert.equal(forwardSubject("Budget"), "Fwd: Budget");
  assert.equal(forwardSubject("Fwd: Budget"), "Fwd: Budget");
  assert.equal(forwardSubject("FW: Budget"), "FW: Budget");
});

test("threading follows RFC 5322 3.6.4: parent's References then its Message-ID", () => {
  assert.deepEqual(threadingFor(original), { inReplyTo: "<m2@example.test>", references: ["<m0@example.test>", "<m1@example.test>", "<m2@example.test>"] });
  assert.deepEqual(threadingFor({ ...original, references: [] }), { inReplyTo: "<m2@example.test>", references: ["<m1@example.test>", "<m2@example.test>"] });
  assert.deepEqual(threadingFor({ ...original, references: [], inReplyTo: "" }), { inReplyTo: "<m2@example.test>", references: ["<m2@example.test>"] });
});

test("reply goes to Reply-To or From; reply all adds To and Cc without the user's own addresses", () => {
  const own = ["alice@example.test", "sales@example.test"];
  assert.deepEqual(replyRecipients(original, own, false), { to: ["Bob <bob@example.test>"], cc: [] });
  assert.deepEqual(replyRecipients(original, own, true), { to: ["Bob <bob@example.test>"], cc: ["carol@example.test", "Dave <dave@far.example>"] });
  assert.deepEqual(replyRecipients({ ...original, replyTo: [{ name: "", address: "list@example.test" }] }, own, false).to, ["list@example.test"]);
  // Replying to one's own sent message goes to its recipients.
  assert.deepEqual(replyRecipients({ ...original, from: [{ name: "Alice", address: "alice@example.test" }] }, own, false).to, ["Alice <alice@example.test>", "carol@example.test"]);
});

test("quoting prefixes each line, nests earlier quotes, escapes HTML; signatures use the -- separator", () => {
  const q = quoted({ ...original, text: "a <b>\n> old" });
  assert.match(q.text, /wrote:\n> a <b>\n>> old\n$/);
  assert.match(q.html, /<blockquote><p>a &lt;b&gt;<br>&gt; old<\/p><\/blockquote>/);
  assert.equal(withSignature("Alice\nACME").text, "\n\n-- \nAlice\nACME");
  assert.equal(withSignature("  ").text, "");
  assert.equal(textOfHtml(`<p>Hi</p>${withSignature("Alice").html}`), "Hi\n\n-- \nAlice", "the separator keeps its space in the text part");
});

test("editor HTML is sanitised and pasted images become cid: parts", async () => {
  const { html, related } = inlineImages('<p onclick="x()">hi<script>alert(1)</script><img src="data:image/png;base64,iVBORw0KGgo="></p><a href="javascript:alert(1)">x</a>', "mx.test");
  assert.doesNotMatch(html, /onclick|script|javascript/);
  assert.equal(related.length, 1);
  assert.match(html, new RegExp(`src="cid:${related[0].cid}"`));
  const built = await buildMessage({ from: { address: "a@example.test", name: "A" }, to: ["b@example.test"], cc: [], bcc: ["c@example.test"], subject: "s", html: "<p>hi</p>", text: "", attachments: [], hostname: "mx.test" });
  const raw = built.raw.toString();
  assert.match(raw, /multipart\/alternative/);
  assert.doesNotMatch(raw, /^Bcc:/im);
  const draft = await buildMessage({ from: { address: "a@example.test", name: "" }, to: [], cc: [], bcc: ["c@example.test"], subject: "s", html: null, text: "plain", attachments: [], hostname: "mx.test", keepBcc: true });
  assert.match(draft.raw.toString(), /^Bcc: c@example\.test/im, "a draft keeps its Bcc");
  assert.doesNotMatch(draft.raw.toString(), /multipart/, "plain-text mode sends text/plain alone");
});

test("address fields split on commas outside quotes and brackets", () => {
  assert.deepEqual(splitAddresses('"Doe, Jane" <jane@x.example>, bob@x.example; <c@x.example>,'), ['"Doe, Jane" <jane@x.example>', "bob@x.example", "<c@x.example>"]);
});
