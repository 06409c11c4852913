/** RFC 1939 3 byte-stuffing and TOP's cut, for every way a message can be split into chunks. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DotStuffer, TopFilter } from "../../mail-engine/pop3/dot-stuff";

/** The reference: whole-message stuffing, line by line. */
function stuffWhole(msg: string): string {
  const lines = msg.replace(/\r?\n/g, "\r\n").split("\r\n");
  const last = lines.pop();
  let out = lines.map((l) => (l.startsWith(".") ? "." + l : l) + "\r\n").join("");
  if (last) out += (last.startsWith(".") ? "." + last : last) + "\r\n";
  return out + ".\r\n";
}

function chunked(msg: Buffer, cuts: number[], top?: number): string {
  const s = new DotStuffer();
  const f = top === undefined ? null : new TopFilter(top);
  const out: Buffer[] = [];
  let from = 0;
  for (const to of [...cuts, msg.length]) {
    let c = msg.subarray(from, to);
    from = to;
    if (f) c = f.push(c);
    out.push(s.push(c));
    if (f?.finished) break;
  }
  out.push(s.end());
  return Buffer.concat(out).toString("latin1");
}

const samples = [
  "Subject: a\r\n\r\n.start\r\nmid.dle\r\n..two\r\n.\r\nend\r\n",
  ".Header-ish: x\r\n\r\nbody\r\n",
  "Subject: no final line ending\r\n\r\n.last",
  "",
  "Subject: bare\n\n.line\nnext\r\n\n",
];

test("stuffing (and CR before a bare LF) is the same at every split point (and every pair of split points)", () => {
  for (const msg of samples) {
    const buf = Buffer.from(msg, "latin1");
    const want = stuffWhole(msg);
    for (let i = 0; i <= buf.length; i++) {
      assert.equal(chunked(buf, [i]), want, `split at ${i} of ${JSON.stringify(msg)}`);
      for (let j = i; j <= buf.length; j += 3) assert.equal(chunked(buf, [i, j]), want);
    }
  }
});

test("TOP: the header, the blank line and n body lines, whatever the chunks", () => {
  const msg = Buffer.from("Subject: a\r\nX: .b\r\n\r\n.one\r\ntwo\r\nthree\r\n");
  for (let i = 0; i <= msg.length; i++) {
    assert.equal(chunked(msg, [i], 0), "Subject: a\r\nX: .b\r\n\r\n.\r\n");
    assert.equal(chunked(msg, [i], 1), "Subject: a\r\nX: .b\r\n\r\n..one\r\n.\r\n");
    assert.equal(chunked(msg, [i], 2), "Subject: a\r\nX: .b\r\n\r\n..one\r\ntwo\r\n.\r\n");
    assert.equal(chunked(msg, [i], 99), "Subject: a\r\nX: .b\r\n\r\n..one\r\ntwo\r\nthree\r\n.\r\n");
  }
  // A message without a body: all of it, terminated.
  assert.equal(chunked(Buffer.from("Subject: x\r\n"), [], 5), "Subject: x\r\n.\r\n");
});
