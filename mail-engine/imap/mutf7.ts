/**
 * Modified UTF-7 for mailbox names (RFC 3501 5.1.3): printable ASCII as is except "&"
 * ("&-"), everything else as "&" + base64 of UTF-16BE with "," for "/" + "-".
 * Stored names are Unicode; clients that have not enabled UTF8=ACCEPT see this form.
 */
export function encodeMutf7(s: string): string {
  let out = "";
  let run = "";
  const flush = () => {
    if (!run) return;
    const b = Buffer.alloc(run.length * 2);
    for (let i = 0; i < run.length; i++) b.writeUInt16BE(run.charCodeAt(i), i * 2);
    out += "&" + b.toString("base64").replace(/=+$/, "").replace(/\//g, ",") + "-";
    run = "";
  };
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (c >= 0x20 && c <= 0x7e) {
      flush();
      out += ch === "&" ? "&-" : ch;
    } else run += ch;
  }
  flush();
  return out;
}

/** The Unicode name; null when `s` is not valid modified UTF-7. */
export function decodeMutf7(s: string): string | null {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c !== "&") {
      out += c;
      continue;
    }
    const end = s.indexOf("-", i);
    if (end < 0) return null;
    const b64 = s.slice(i + 1, end);
    if (b64 === "") out += "&";
    else {
      if (!/^[A-Za-z0-9+,]+$/.test(b64)) return null;
      const b = Buffer.from(b64.replace(/,/g, "/"), "base64");
      for (let j = 0; j + 1 < b.length; j += 2) out += String.fromCharCode(b.readUInt16BE(j));
    }
    i = end;
  }
  return out;
}
