/**
 * DKIM signing of outbound mail (RFC 6376), called by the queue worker before a message
 * leaves: one signature per active key of the From domain (RSA, RFC 6376 3.3.1, and
 * Ed25519, RFC 8463), relaxed/relaxed, over the header fields RFC 6376 5.4.1 recommends,
 * with From oversigned (listed once more than present, 8.15) so nobody can add a second
 * From below the signature. A domain without keys gets its message back unchanged.
 *
 * Written here rather than with mailauth's signer, which cannot oversign.
 */
import crypto from "node:crypto";
import addressparser from "nodemailer/lib/addressparser/index.js";
import type { Db } from "../db/client";
import { headerValues } from "../mime/headers";
import { activeDkimKeys, type DkimKeyRow } from "./keys";

/** RFC 6376 5.4.1's list, plus the MIME fields whose change alters how the body reads. */
export const SIGNED_FIELDS = [
  "from", "reply-to", "subject", "date", "to", "cc", "resent-date", "resent-from", "resent-to", "resent-cc",
  "in-reply-to", "references", "list-id", "list-help", "list-unsubscribe", "list-subscribe", "list-post", "list-owner", "list-archive",
  "message-id", "mime-version", "content-type", "content-transfer-encoding", "sender",
];
const OVERSIGNED = new Set(["from"]);

interface Field {
  name: string; // lower case
  raw: string; // the whole field, folding included, without the final CRLF
}

/** The header fields of a message and the offset where its body starts. */
export function splitMessage(message: Buffer): { fields: Field[]; bodyStart: number } {
  let end = message.indexOf("\r\n\r\n");
  const bodyStart = message.subarray(0, 2).toString() === "\r\n" ? 2 : end === -1 ? message.length : end + 4;
  if (end === -1) end = message.length;
  const text = message.subarray(0, Math.max(0, bodyStart === 2 ? 0 : end)).toString("latin1");
  const fields: Field[] = [];
  for (const line of text.split("\r\n")) {
    if ((line.startsWith(" ") || line.startsWith("\t")) && fields.length) fields[fields.length - 1].raw += "\r\n" + line;
    else if (line.includes(":")) fields.push({ name: line.slice(0, line.indexOf(":")).trim().toLowerCase(), raw: line });
  }
  return { fields, bodyStart };
}

/** RFC 6376 3.4.2 relaxed header canonicalisation, with its CRLF. */
export function relaxedHeader(raw: string): string {
  const colon = raw.indexOf(":");
  const name = raw.slice(0, colon).trim().toLowerCase();
  const value = raw.slice(colon + 1).replace(/\r\n(?=[ \t])/g, "").replace(/[ \t]+/g, " ").trim();
  return `${name}:${value}\r\n`;
}

/**
 * RFC 6376 3.4.4 relaxed body canonicalisation, hashed with SHA-256 line by line (a large
 * message is never copied whole): runs of WSP become one SP, WSP at line ends goes, empty
 * lines at the end are ignored (held back until a non-empty line follows), and a
 * non-empty body ends with CRLF.
 */
export function relaxedBodyHash(body: Buffer): string {
  const hash = crypto.createHash("sha256");
  let heldEmpty = 0;
  for (let start = 0; start < body.length; ) {
    let end = body.indexOf("\r\n", start);
    if (end === -1) end = body.length;
    const line = body.toString("latin1", start, end).replace(/[ \t]+/g, " ").replace(/ $/, "");
    start = end + 2;
    if (line === "") {
      heldEmpty++;
      continue;
    }
    if (heldEmpty) hash.update("\r\n".repeat(heldEmpty));
    heldEmpty = 0;
    hash.update(line + "\r\n", "latin1");
  }
  return hash.digest("base64");
}

/** The h= list and the fields it covers, instances taken from the bottom up (RFC 6376 5.4.2). */
function chooseFields(fields: Field[]): { names: string[]; signed: Field[] } {
  const names: string[] = [];
  const signed: Field[] = [];
  for (const name of SIGNED_FIELDS) {
    const present = fields.filter((f) => f.name === name).reverse();
    for (const f of present) {
      names.push(name);
      signed.push(f);
    }
    // A name listed once more than it occurs signs its absence (RFC 6376 5.4.2, 8.15).
    if (OVERSIGNED.has(name)) names.push(name);
  }
  return { names, signed };
}

const keyCache = new Map<string, crypto.KeyObject>();
function privateKeyOf(k: DkimKeyRow): crypto.KeyObject {
  let key = keyCache.get(k.id);
  if (!key) {
    key = crypto.createPrivateKey(k.privateKey);
    keyCache.set(k.id, key);
  }
  return key;
}

/** Folds a long tag list at its semicolons so no line passes 78 characters (RFC 5322 2.1.1). */
function fold(tags: string[]): string {
  let out = "DKIM-Signature:";
  let line = out.length;
  for (const t of tags) {
    if (line + t.length + 2 > 78) {
      out += "\r\n\t" + t;
      line = 1 + t.length;
    } else {
      out += " " + t;
      line += 1 + t.length;
    }
  }
  return out;
}

/** The DKIM-Signature fields for `message` made with `keys` of `domain`, each ending in CRLF. */
export function dkimSignatures(message: Buffer, domain: string, keys: DkimKeyRow[], now = new Date()): string {
  const { fields, bodyStart } = splitMessage(message);
  const bh = relaxedBodyHash(message.subarray(bodyStart));
  const { names, signed } = chooseFields(fields);
  const headerData = signed.map((f) => relaxedHeader(f.raw)).join("");
  let out = "";
  for (const k of keys) {
    const ed = k.algorithm === "ed25519-sha256";
    const tags = [`v=1;`, `a=${ed ? "ed25519-sha256" : "rsa-sha256"};`, `c=relaxed/relaxed;`, `d=${domain};`, `s=${k.selector};`, `t=${Math.floor(now.getTime() / 1000)};`, `h=${names.join(":")};`, `bh=${bh};`, `b=`];
    const unsigned = fold(tags);
    // RFC 6376 3.7: the signature field itself last, canonicalised, with an empty b= and no CRLF.
    const data = Buffer.from(headerData + relaxedHeader(unsigned).slice(0, -2), "latin1");
    const b = ed
      ? crypto.sign(null, crypto.createHash("sha256").update(data).digest(), privateKeyOf(k)) // RFC 8463 3: Ed25519 over the SHA-256 hash
      : crypto.sign("sha256", data, privateKeyOf(k));
    // The value of b= goes on lines of its own; verifiers drop it whole, folding included (RFC 6376 3.5).
    out += unsigned + "\r\n\t" + (b.toString("base64").match(/.{1,72}/g) ?? []).join("\r\n\t") + "\r\n";
  }
  return out;
}

/** The domain of the first From address, lower case; null when there is none. */
export function fromDomain(message: Buffer): string | null {
  const value = headerValues(message, "from")[0];
  if (!value) return null;
  const first = addressparser(value, { flatten: true })[0] as { address?: string } | undefined;
  const at = first?.address?.lastIndexOf("@") ?? -1;
  return first?.address && at > 0 ? first.address.slice(at + 1).toLowerCase() : null;
}

export async function signOutbound(db: Db, message: Buffer): Promise<Buffer> {
  const domain = fromDomain(message);
  if (!domain) return message;
  const keys = await activeDkimKeys(db, domain);
  if (keys.length === 0) return message;
  return Buffer.concat([Buffer.from(dkimSignatures(message, domain, keys), "latin1"), message]);
}
