// Relaxed canonicalisation (RFC 6376 3.4.2, 3.4.4) with the RFC's own example (3.4.6).
import { test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { relaxedBodyHash, relaxedHeader, splitMessage } from "../../lib/dkim/sign";

const sha = (s: string) => crypto.createHash("sha256").update(s, "latin1").digest("base64");

test("RFC 6376 3.4.6: relaxed header and body of the example message", () => {
  const message = Buffer.from("A: X\r\nB : Y\t\r\n\tZ  \r\n\r\n C \r\nD \t E\r\n\r\n\r\n");
  const { fields, bodyStart } = splitMessage(message);
  assert.deepEqual(fields.map((f) => relaxedHeader(f.raw)), ["a:X\r\n", "b:Y Z\r\n"]);
  assert.equal(relaxedBodyHash(message.subarray(bodyStart)), sha(" C\r\nD E\r\n"));
});

test("relaxed body: empty, no final CRLF, whitespace-only trailing lines, inner empty lines kept", () => {
  assert.equal(relaxedBodyHash(Buffer.alloc(0)), sha(""));
  assert.equal(relaxedBodyHash(Buffer.from("\r\n\r\n")), sha(""));
  assert.equal(relaxedBodyHash(Buffer.from("a")), sha("a\r\n"));
  assert.equal(relaxedBodyHash(Buffer.from("a\r\n \t\r\n\r\nb  c \r\n \r\n")), sha("a\r\n\r\n\r\nb c\r\n"));
});
