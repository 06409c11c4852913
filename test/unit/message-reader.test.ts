import { test } from "node:test";
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { readMessage } from "../../mail-engine/smtp/message-reader";

const read = (chunks: string[]) => readMessage(Readable.from(chunks.map((c) => Buffer.from(c, "binary"))));

test("CRLF-only data is clean, also when CR and LF arrive in different chunks", async () => {
  assert.equal((await read(["a\r\nb\r\n"])).bareLineEnding, false);
  assert.equal((await read(["a\r", "\nb\r", "\n"])).bareLineEnding, false);
  assert.equal((await read(["a\r\n", "", "b\r\n"])).data.toString(), "a\r\nb\r\n");
});

test("bare LF and bare CR are found anywhere, across chunk boundaries too", async () => {
  assert.equal((await read(["a\nb\r\n"])).bareLineEnding, true);
  assert.equal((await read(["\nb\r\n"])).bareLineEnding, true);
  assert.equal((await read(["a\r\n", "\n"])).bareLineEnding, true);
  assert.equal((await read(["a\rb\r\n"])).bareLineEnding, true);
  assert.equal((await read(["a\r", "b\r\n"])).bareLineEnding, true);
  assert.equal((await read(["a\r\n\r"])).bareLineEnding, true, "a CR at the very end is bare");
});
