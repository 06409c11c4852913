/**
 * The delivery parser (lib/mime/message-parser.ts): microseconds per message for the
 * ~4 KB bench message, next to mailparser's simpleParser (the reference its summary
 * mirrors), and a large message streamed in 64 KB chunks as SMTP DATA would feed it: time,
 * and how much memory the parser keeps (heap after a collection) and the process grows by
 * (RSS). The large message is made chunk by chunk, so it never exists in memory whole.
 */
import v8 from "node:v8";
import vm from "node:vm";
import { parseOptions, type OptionSpec } from "./lib/args";
import { messageFactory } from "./lib/message";
import { MessageParser, parseMessage } from "../lib/mime/message-parser";
import { summariseWithMailparser } from "../lib/mime/summary";

const SPEC: Record<string, OptionSpec> = {
  count: { type: "int", default: 20000, help: "parses of the 4 KB message to time (default 20000)" },
  "big-mb": { type: "int", default: 50, help: "size of the streamed message in MB (default 50)" },
};

export function help(): string {
  return Object.entries(SPEC)
    .map(([k, s]) => `  --${k.padEnd(8)} ${s.help}`)
    .join("\n");
}

function timeIt(n: number, f: (i: number) => unknown): number {
  for (let i = 0; i < Math.min(500, n); i++) f(i); // warm-up
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) f(i);
  return Number(process.hrtime.bigint() - t) / 1000 / n;
}

export async function run(argv: string[]): Promise<number> {
  const opts = parseOptions(argv, SPEC);
  const count = opts.count as number;
  const factory = messageFactory({ size: 4096, from: "sender@example.org", to: "rcpt@example.net", clientHost: "client.example.org" });
  const msgs = Array.from({ length: 64 }, (_, n) => {
    const wire = factory.wire(n);
    return wire.subarray(0, wire.length - 3); // without the DATA terminator
  });
  const usParse = timeIt(count, (i) => parseMessage(msgs[i % msgs.length]));
  const mpN = Math.max(200, Math.floor(count / 20));
  let t = process.hrtime.bigint();
  for (let i = 0; i < mpN; i++) await summariseWithMailparser(msgs[i % msgs.length]);
  const usMailparser = Number(process.hrtime.bigint() - t) / 1000 / mpN;
  console.log(`4 KB message (${msgs[0].length} bytes): parseMessage ${usParse.toFixed(1)} µs, mailparser simpleParser summary ${usMailparser.toFixed(1)} µs`);

  // ----- a large message streamed -----
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc") as () => void;
  const bigBytes = (opts["big-mb"] as number) * 1024 * 1024;
  const b64line = Buffer.from("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\r\n");
  const chunk = Buffer.concat(Array.from({ length: Math.floor(65536 / b64line.length) }, () => b64line)).subarray(0, 65536);
  const head = Buffer.from(
    [
      "From: a@example.org",
      "To: b@example.net",
      "Subject: a large attachment",
      "Date: Mon, 23 Nov 2026 10:00:00 +0000",
      "Content-Type: multipart/mixed; boundary=big",
      "",
      "--big",
      "Content-Type: text/plain",
      "",
      "The file is attached.",
      "--big",
      "Content-Type: application/octet-stream",
      "Content-Transfer-Encoding: base64",
      'Content-Disposition: attachment; filename="big.bin"',
      "",
      "",
    ].join("\r\n"),
  );
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  const rss0 = process.memoryUsage().rss;
  let heapPeak = -Infinity;
  let rssPeak = 0;
  t = process.hrtime.bigint();
  const p = new MessageParser();
  p.write(head);
  let total = head.length;
  // a 64 KB chunk does not end on a line break: lines are split across chunks as on the wire
  for (let i = 1; total < bigBytes; i++) {
    p.write(chunk);
    total += chunk.length;
    if (i % 64 === 0) {
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss - rss0);
      gc();
      heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed - heap0);
    }
  }
  const tail = Buffer.from("\r\n--big--\r\n");
  p.write(tail);
  total += tail.length;
  const r = p.end();
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  console.log(
    `${(total / 1048576).toFixed(1)} MB streamed in 64 KB chunks: ${ms.toFixed(0)} ms (${((total / 1048576 / ms) * 1000).toFixed(0)} MB/s), ` +
      `heap after a collection at most ${(heapPeak / 1024).toFixed(0)} KB above the start, RSS grew ≤ ${(rssPeak / 1048576).toFixed(1)} MB, ` +
      `parts ${r.structure.parts?.length}, attachment ${r.structure.parts?.[1]?.decodedSize} bytes decoded${r.reduced ? `, reduced: ${r.reduced}` : ""}`,
  );
  return 0;
}
