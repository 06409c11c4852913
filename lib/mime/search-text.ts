/**
 * The words IMAP SEARCH TEXT and BODY look for (RFC 3501 / RFC 9051 6.4.4), taken from a
 * stored message with its stored structure: the decoded text of its text parts (text/html
 * turned into text) and, for TEXT, the subject and the From/To/Cc/Bcc names and addresses.
 *
 * The index holds words: a word is a run of letters and digits, lower-cased, accents
 * removed (NFD, marks dropped), cut to MAX_WORD characters. Searches match substrings
 * (RFC 3501 6.4.4); lib/store/search.ts uses the words to find the candidates (a string
 * within one word is within some word of the index) and checks strings of several words
 * against searchableText(). The header words are every field's value.
 */
import { createRequire } from "node:module";
import type { Envelope, MimePart } from "./structure";
import { walkParts } from "./structure";
import { decodeBody } from "./part-body";

/** Decoded text read per message (the rest of a larger message is not indexed). */
export const MAX_TEXT_CHARS = 1_000_000;
/** Longer words are cut: base64 or hex runs in a text part are not words people search for. */
export const MAX_WORD = 64;

/** Unique words, space separated: what the index stores for one blob. */
export interface SearchText {
  head: string;
  body: string;
}

const WORD = /[\p{L}\p{N}\p{M}]+/gu;
const MARK = /\p{M}/gu;
const ASCII_WORD = /[a-z0-9]+/g;

/** The words of `text`, in the index's form (see the module comment), in order of first appearance. */
export function words(text: string, into: Set<string> = new Set()): Set<string> {
  // ASCII text (most mail): the same words without Unicode normalisation or property classes, ~5x faster.
  // eslint-disable-next-line no-control-regex
  if (!/[^\x00-\x7f]/.test(text)) {
    for (const w of text.toLowerCase().match(ASCII_WORD) ?? []) into.add(w.length > MAX_WORD ? w.slice(0, MAX_WORD) : w);
    return into;
  }
  for (const m of text.normalize("NFD").matchAll(WORD)) {
    const w = m[0].replace(MARK, "").toLowerCase().slice(0, MAX_WORD);
    if (w) into.add(w);
  }
  return into;
}

const req = createRequire(import.meta.url);
/** Loaded on first use: an MX-only engine that never indexes HTML does without them. */
let libmime: { decodeWords(s: string): string } | null = null;
let htmlToText: ((html: string) => string) | null = null;

export function decodeHeaderValue(v: string): string {
  libmime ??= req("libmime") as { decodeWords(s: string): string };
  try {
    return libmime.decodeWords(v);
  } catch {
    return v;
  }
}

/** The text of an HTML part as a reader sees it: no markup, scripts, styles or link targets. */
function htmlText(html: string): string {
  htmlToText ??= (req("html-to-text") as { compile(opts: object): (html: string) => string }).compile({
    wordwrap: false,
    selectors: [
      { selector: "a", options: { ignoreHref: true } },
      { selector: "img", format: "skip" },
    ],
  });
  return htmlToText(html);
}

/** Bytes in `charset` as text; an unknown charset is read as UTF-8 (then Latin-1 never fails, but UTF-8 is the common mislabel). */
export function decodeCharset(buf: Buffer, charset: string | undefined): string {
  const cs = (charset || "utf-8").toLowerCase();
  try {
    return new TextDecoder(cs === "us-ascii" ? "utf-8" : cs).decode(buf);
  } catch {
    return buf.toString("utf8");
  }
}

/** Text parts: text/* that is not an attachment of another kind (a .txt attachment is text too, RFC 3501 searches it). */
export function textParts(root: MimePart): MimePart[] {
  const out: MimePart[] = [];
  for (const { part } of walkParts(root)) {
    if (part.type === "text" && !part.parts && !part.message) out.push(part);
  }
  return out;
}

/** The header words for TEXT: subject and the address fields' names and addresses, and (given the header section) every field's value. */
export function headWords(env: Envelope, header?: Buffer): string {
  const set = new Set<string>();
  for (const v of [env.subject, env.from, env.sender, env.replyTo, env.to, env.cc, env.bcc]) if (v) words(decodeHeaderValue(v), set);
  if (header) words(headerText(header), set);
  return [...set].join(" ");
}

/** Header sections longer than this are searched in their first part only. */
const MAX_HEADER = 64 * 1024;

/** The values of a header section's fields, unfolded and decoded (RFC 2047), one a line: what TEXT searches in the header (RFC 3501 6.4.4). */
export function headerText(header: Buffer): string {
  const out: string[] = [];
  for (const line of header.subarray(0, MAX_HEADER).toString("utf8").replace(/\r?\n(?=[ \t])/g, "").split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0) out.push(decodeHeaderValue(line.slice(colon + 1).trim()));
  }
  return out.join("\n");
}

/**
 * The decoded text TEXT / BODY look in (RFC 3501 6.4.4: substring of the header or body):
 * the text parts, and with `withHeader` the header values first. For checking a match the
 * index's words cannot decide (a string of several words must appear as written).
 */
export async function searchableText(root: MimePart, read: (start: number, end: number) => Promise<Buffer>, withHeader: boolean): Promise<string> {
  const out: string[] = [];
  if (withHeader) out.push(headerText(await read(root.headerStart, Math.min(root.bodyStart, root.headerStart + MAX_HEADER))));
  let budget = MAX_TEXT_CHARS;
  for (const p of textParts(root)) {
    if (budget <= 0) break;
    const text = partText(p, await read(p.bodyStart, readEnd(p, budget)), budget);
    budget -= text.length;
    out.push(text);
  }
  return out.join("\n");
}

/** The decoded text of one text part from its (possibly cut) encoded bytes, at most `budget` characters. */
function partText(p: MimePart, bytes: Buffer, budget: number): string {
  const decoded = decodeBody(bytes, p.encoding);
  if (!decoded) return "";
  const text = decodeCharset(decoded, p.params.charset);
  return (p.subtype === "html" ? htmlText(text) : text).slice(0, budget);
}

/** Encoded text is at most ~1.4x its decoded size (base64); reading 2x the budget is enough. */
const readEnd = (p: MimePart, budget: number) => Math.min(p.bodyEnd, p.bodyStart + budget * 2);

/**
 * The search text of a message: `read(start, end)` gives the stored bytes of a range
 * (BlobStore.getRange for a file), so a large message is read part by part, text parts only.
 */
export async function extractSearchText(root: MimePart, env: Envelope, read: (start: number, end: number) => Promise<Buffer>): Promise<SearchText> {
  const body = new Set<string>();
  let budget = MAX_TEXT_CHARS;
  for (const p of textParts(root)) {
    if (budget <= 0) break;
    const text = partText(p, await read(p.bodyStart, readEnd(p, budget)), budget);
    budget -= text.length;
    words(text, body);
  }
  return { head: headWords(env, await read(root.headerStart, Math.min(root.bodyStart, root.headerStart + MAX_HEADER))), body: [...body].join(" ") };
}

/** extractSearchText for a message held in memory. */
export function extractSearchTextSync(raw: Buffer, root: MimePart, env: Envelope): SearchText {
  const body = new Set<string>();
  let budget = MAX_TEXT_CHARS;
  for (const p of textParts(root)) {
    if (budget <= 0) break;
    const text = partText(p, raw.subarray(p.bodyStart, readEnd(p, budget)), budget);
    budget -= text.length;
    words(text, body);
  }
  return { head: headWords(env, raw.subarray(root.headerStart, Math.min(root.bodyStart, root.headerStart + MAX_HEADER))), body: [...body].join(" ") };
}
