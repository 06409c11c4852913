/**
 * Realistic RFC 5322 test messages of about a given size: the headers a real client and
 * one relay hop write, a plain-text body of ordinary sentences in lines under 78
 * characters, CRLF line endings, a unique Message-ID per message.
 */
import crypto from "node:crypto";

const WORDS = (
  "the quarterly report is attached below please review the figures before our meeting on thursday " +
  "we discussed the delivery schedule with the team and agreed to move the release by one week " +
  "let me know if you have questions about the budget or the hiring plan for the next quarter " +
  "thanks again for your help with the migration everything went smoothly over the weekend " +
  "customers reported faster page loads and fewer errors since the new cache was deployed " +
  "could you send me the signed contract and the updated invoice when you get a chance"
).split(" ");

/** Deterministic pseudo-random text so every run sends the same bytes (apart from ids). */
function bodyText(bytes: number, seed: number): string {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
  const lines: string[] = [];
  let total = 0;
  let para = 0;
  while (total < bytes) {
    let line = "";
    for (;;) {
      const w = WORDS[next() % WORDS.length];
      if (line.length + w.length + 1 > 72) break;
      line = line ? `${line} ${w}` : w[0].toUpperCase() + w.slice(1);
    }
    line += ".";
    lines.push(line);
    total += line.length + 2;
    if (++para % 5 === 0) {
      lines.push("");
      total += 2;
    }
  }
  // Trim the overshoot from the last line so the body is `bytes` long (within a byte or two).
  const over = total - bytes;
  if (over > 0) {
    const last = lines.pop()!;
    const keep = Math.max(1, last.length - over);
    lines.push(last.slice(0, keep));
  }
  return lines.join("\r\n") + "\r\n";
}

export interface MessageFactory {
  /** The n-th message, dot-stuffed, ending with the DATA terminator "\r\n.\r\n". */
  wire(n: number): Buffer;
  /** Size of a message without dot-stuffing or terminator (about the requested size). */
  readonly approxSize: number;
}

export function messageFactory(opts: { size: number; from: string; to: string; clientHost: string }): MessageFactory {
  const runId = crypto.randomBytes(6).toString("hex");
  const headerFor = (n: number, date: string) =>
    [
      `Received: from [192.0.2.${(n % 250) + 1}] (unknown [192.0.2.${(n % 250) + 1}])`,
      `\tby ${opts.clientHost} (Postfix) with ESMTPSA id ${runId.toUpperCase()}${n}`,
      `\tfor <${opts.to}>; ${date}`,
      `Message-ID: <${runId}.${n}.${Date.now()}@${opts.clientHost}>`,
      `Date: ${date}`,
      `From: "Bench Sender" <${opts.from}>`,
      `To: "Bench Recipient" <${opts.to}>`,
      `Subject: Weekly status update #${n}: delivery schedule and budget`,
      "MIME-Version: 1.0",
      "Content-Type: text/plain; charset=utf-8; format=flowed",
      "Content-Transfer-Encoding: 7bit",
      "User-Agent: bench-smtp-inbound/1.0",
      "",
      "",
    ].join("\r\n");
  const sampleHeader = headerFor(0, new Date().toUTCString().replace("GMT", "+0000"));
  const bodyBytes = Math.max(64, opts.size - sampleHeader.length - 40);
  const bodies = [0, 1, 2, 3].map((i) => bodyText(bodyBytes, 0x9e3779b9 + i));
  return {
    approxSize: sampleHeader.length + bodyBytes + 40,
    wire(n: number): Buffer {
      const date = new Date().toUTCString().replace("GMT", "+0000");
      const text = `${headerFor(n, date)}Hello,\r\n\r\nThis is message ${n} of run ${runId}.\r\n\r\n${bodies[n % bodies.length]}`;
      // Dot-stuffing (RFC 5321 4.5.2); the generated text never starts a line with "." but stay correct.
      const stuffed = text.startsWith(".") || text.includes("\r\n.") ? text.replace(/(^|\r\n)\./g, "$1..") : text;
      return Buffer.from(stuffed + ".\r\n", "latin1");
    },
  };
}
