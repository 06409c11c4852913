import { test, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { receiveMessage, headerEnd } from "../../mail-engine/smtp/message-reader";
import { BlobStore } from "../../lib/store/blob-store";
import type { Db } from "../../lib/db/client";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reader-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const blobs = (inlineMax = 64) => new BlobStore(null as unknown as Db, { dir: path.join(dir, "blobs"), inlineMax });

const PREFIX = Buffer.from("Return-Path: <x@y>\r\n");
async function read(chunks: string[], inlineMax = 64, maxHeaderBytes?: number) {
  const seen: Buffer[] = [];
  let header: Buffer | null = null;
  const r = await receiveMessage(Readable.from(chunks.map((c) => Buffer.from(c, "binary"))), {
    blobs: blobs(inlineMax),
    prefix: (h) => ((header = Buffer.from(h)), PREFIX),
    sink: { write: (b) => seen.push(Buffer.from(b)) },
    maxHeaderBytes,
  });
  return { r, header: header as Buffer | null, sink: Buffer.concat(seen) };
}

test("CRLF-only data is clean, also when CR and LF arrive in different chunks", async () => {
  assert.equal((await read(["a\r\nb\r\n"])).r.bareLineEnding, false);
  assert.equal((await read(["a\r", "\nb\r", "\n"])).r.bareLineEnding, false);
  const { r } = await read(["a: 1\r\n", "", "\r\nbody\r\n"]);
  assert.equal(r.inline?.toString(), "Return-Path: <x@y>\r\na: 1\r\n\r\nbody\r\n");
});

test("bare LF and bare CR are found anywhere, across chunk boundaries too; nothing is kept", async () => {
  assert.equal((await read(["a\nb\r\n"])).r.bareLineEnding, true);
  assert.equal((await read(["\nb\r\n"])).r.bareLineEnding, true);
  assert.equal((await read(["a\r\n", "\n"])).r.bareLineEnding, true);
  assert.equal((await read(["a\rb\r\n"])).r.bareLineEnding, true);
  assert.equal((await read(["a\r", "b\r\n"])).r.bareLineEnding, true);
  assert.equal((await read(["a\r\n\r"])).r.bareLineEnding, true, "a CR at the very end is bare");
  const { r } = await read(["x: y\r\n\r\n", "z".repeat(500) + "\n.\r\n"], 64);
  assert.equal(r.inline, null);
  await assert.rejects(r.commit(), /refused/);
  assert.deepEqual(fs.readdirSync(path.join(dir, "blobs", "tmp")), [], "the spilled temporary file is gone");
});

test("the header section is found across chunks and handed over before the body is stored", async () => {
  const { r, header } = await read(["Subject: hi\r", "\nFrom: a@b\r\n\r", "\nbody line\r\n"]);
  assert.equal(header?.toString(), "Subject: hi\r\nFrom: a@b\r\n\r\n");
  assert.equal(r.headerComplete, true);
  assert.equal(r.header.toString(), header?.toString());
  const noBody = await read(["Subject: only headers\r\n"]);
  assert.equal(noBody.r.headerComplete, true);
  assert.equal(noBody.header?.toString(), "Subject: only headers\r\n");
  assert.equal(headerEnd(Buffer.from("\r\nbody")), 2, "no header fields at all");
  const huge = await read(["X-Long: " + "a".repeat(300) + "\r\n", " " + "b".repeat(300) + "\r\n", "\r\nbody\r\n"], 64, 200);
  assert.equal(huge.r.headerComplete, false, "past the limit the header section is cut");
  assert.ok(huge.header!.length <= 200 + 400);
});

test("small messages stay in memory (the sink sees none); larger ones go to a file whose hash and bytes match, and the sink sees every byte", async () => {
  const small = await read(["S: 1\r\n\r\nshort\r\n"], 1000);
  assert.equal(small.sink.length, 0, "a small message is parsed from its bytes later, not streamed");
  const ref = await small.r.commit();
  assert.equal(ref.inlineData?.toString(), "Return-Path: <x@y>\r\nS: 1\r\n\r\nshort\r\n");
  assert.equal(ref.file, undefined);

  const body = Array.from({ length: 50 }, (_, i) => `line ${i} ${"x".repeat(60)}\r\n`);
  const big = await read(["S: 2\r\n\r\n", ...body], 256);
  assert.equal(big.r.inline, null);
  const bigRef = await big.r.commit();
  const expected = Buffer.concat([PREFIX, Buffer.from("S: 2\r\n\r\n" + body.join(""))]);
  assert.equal(bigRef.size, expected.length);
  assert.equal(bigRef.hash, crypto.createHash("sha256").update(expected).digest("hex"));
  assert.deepEqual(fs.readFileSync(bigRef.file!), expected);
  assert.deepEqual(big.sink, expected);
  assert.equal(big.r.longestLine, 70);
});

test("the longest line is measured across chunks (long lines are kept as they came)", async () => {
  const { r } = await read(["a: b\r\n\r\n", "x".repeat(700), "y".repeat(700) + "\r\nshort\r\n"], 10_000);
  assert.equal(r.longestLine, 1402);
  assert.ok(r.inline!.includes("x".repeat(700) + "y".repeat(700)));
});
