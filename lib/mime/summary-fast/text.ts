/** The snippet: decodes only as much of the text parts (plain or HTML) as 200 characters need. */
import libmime from "libmime";
import { decode as decodeCharset } from "libmime/lib/charset.js";
import libqp from "libqp";
import { compile as compileHtmlToText } from "html-to-text";
import { HTML_PREFIX_CHARS, LF, PREFIX_MARGIN, SNIPPET_LENGTH, TEXT_PREFIX_BYTES, type TextLeaf, type WalkState } from "./common";
import { exceedsHtmlNestingDepth, htmlCut } from "./html-cut";

// ----- text ----------------------------------------------------------------------------------

/**
 * mailparser joins the text of its text parts with "\n" and the summary collapses all
 * whitespace of that, so the snippet is the parts' collapsed texts joined with single
 * spaces (an empty part adds nothing). Only as much text as the snippet needs is decoded.
 */
export function snippetOf(state: WalkState, deadline = Infinity): string {
  const pieces: string[] = [];
  let have = 0;
  for (const leaf of state.leaves) {
    if (have >= SNIPPET_LENGTH) break;
    if (Date.now() > deadline) {
      state.timedOut = true;
      break;
    }
    if (leaf.type === "text/html") {
      // getTextContent(): HTML becomes text only outside an alternative when there is a
      // text part, or when it is the whole message and there is none
      if (!((!leaf.alternative && state.hasText) || (leaf.root && !state.hasText))) continue;
    }
    // at least 1, so that an empty text is told from a non-empty one
    const need = Math.max(1, SNIPPET_LENGTH - have - (have ? 1 : 0));
    // mailparser adds an embedded message's meta lines to the text only when there is a text part
    if (leaf.literal !== undefined && !state.hasText) continue;
    const text =
      leaf.literal !== undefined ? collapse(leaf.literal) : leaf.type === "text/html" ? htmlLeafText(state.raw, leaf, need) : plainLeafText(state.raw, leaf, need);
    if (text) {
      pieces.push(text);
      have += (have ? 1 : 0) + text.length;
    }
  }
  return pieces.join(" ").slice(0, SNIPPET_LENGTH);
}

const collapse = (text: string): string => text.replace(/\s+/g, " ").trim();

/** Charsets decoded one byte at a time, so that decoding a prefix of the body gives a prefix of the text. */
const PREFIX_SAFE_CHARSET = /^(?:iso-?8859-?\d+|(?:windows|cp)-?125\d|latin-?\d|us-?ascii|ascii)$/i;

/**
 * A text part's decoded text as mailparser builds node.textContent: transfer decoding,
 * format=flowed, then the charset. With `limit`, only the body's first `limit` bytes are
 * decoded (the end of that text may then be garbled: a cut multi-byte sequence or escape).
 */
function decodeLeaf(raw: Buffer, leaf: TextLeaf, limit: number): string {
  let end = leaf.end;
  if (limit > 0 && end - leaf.start > limit) {
    end = leaf.start + limit;
    if (leaf.encoding === "quoted-printable") {
      // cut after a line break, so that neither a soft line break nor an escape is split
      const lf = raw.lastIndexOf(LF, end - 1);
      if (lf > leaf.start) end = lf + 1;
    }
  }
  let bytes: Buffer = raw.subarray(leaf.start, end);
  if (leaf.encoding === "base64") bytes = decodeBase64(bytes);
  else if (leaf.encoding === "quoted-printable") bytes = libqp.decode(bytes);
  if (leaf.flowed && bytes.length) bytes = Buffer.from(libmime.decodeFlowed(bytes.toString("latin1"), leaf.delSp), "latin1");

  const charset = leaf.charset || "utf-8";
  let text: string;
  if (["ascii", "usascii", "utf8"].includes(charset.toLowerCase().replace(/[^a-z0-9]+/g, ""))) {
    text = bytes.toString();
  } else {
    // libmime's decode stream (what mailparser pipes the part through) gives what decode()
    // gives for the whole input, sent on as UTF-8 (a lone surrogate becomes U+FFFD)
    text = decodeCharset(bytes, charset);
    if (/[\uD800-\uDFFF]/.test(text)) text = Buffer.from(text, "utf8").toString();
  }
  return text;
}

/** libbase64's streaming Decoder: everything but base64 characters dropped, padded segments decoded one by one. */
function decodeBase64(bytes: Buffer): Buffer {
  let b64 = bytes.toString("latin1");
  if (/[^a-zA-Z0-9+/=]/.test(b64)) b64 = b64.replace(/[^a-zA-Z0-9+/=]/g, "");
  const pad = b64.indexOf("=");
  if (pad < 0 || !/[a-zA-Z0-9+/]/.test(b64.slice(pad))) return Buffer.from(b64, "base64");
  const out: Buffer[] = [];
  let start = 0;
  while (start <= b64.length) {
    let stop = b64.indexOf("=", start);
    if (stop < 0) stop = b64.length;
    if (stop > start) out.push(Buffer.from(b64.slice(start, stop), "base64"));
    start = stop + 1;
  }
  return Buffer.concat(out);
}

/**
 * collapse(text), or only a prefix of it with at least `need` characters: collapsing a
 * prefix of a text gives a prefix of the collapsed text (the last word may be cut short,
 * whitespace at the end is trimmed), and most of the time the snippet needs a few hundred
 * characters of a text that is much longer. Null when `text` runs out first and is not
 * `complete` (the caller then decodes more).
 */
function collapsedPrefix(text: string, need: number, complete: boolean): string | null {
  let k = Math.min(text.length, need + 64);
  for (;;) {
    const collapsed = collapse(k === text.length ? text : text.slice(0, k));
    if (collapsed.length >= need) return collapsed;
    if (k >= text.length) return complete ? collapsed : null;
    k = Math.min(text.length, k * 4);
  }
}

/** The collapsed text of a text/plain (or delivery-status) part; exact for at least its first `need` characters. */
function plainLeafText(raw: Buffer, leaf: TextLeaf, need: number): string {
  const charset = leaf.charset || "utf-8";
  const prefixOk =
    leaf.end - leaf.start > TEXT_PREFIX_BYTES &&
    (["ascii", "usascii", "utf8"].includes(charset.toLowerCase().replace(/[^a-z0-9]+/g, "")) || PREFIX_SAFE_CHARSET.test(charset.trim()));
  if (prefixOk) {
    const decoded = decodeLeaf(raw, leaf, TEXT_PREFIX_BYTES);
    // the last few characters may come from a cut escape or multi-byte sequence
    const text = collapsedPrefix(decoded.slice(0, Math.max(0, decoded.length - PREFIX_MARGIN)), need, false);
    if (text !== null) return text;
  }
  return collapsedPrefix(decodeLeaf(raw, leaf, 0), need, true)!;
}

// The conversion mailparser runs (htmlToText(html, { limits: { maxDepth } })), with its
// options compiled once instead of on every call.
const MAX_HTML_NESTING_DEPTH = 1000;
let htmlConverter: ((html: string) => string) | null = null;
function htmlToText(html: string): string {
  htmlConverter ??= compileHtmlToText({ limits: { maxDepth: MAX_HTML_NESTING_DEPTH } });
  return htmlConverter(html);
}

/** Marks where a cut-off prefix of HTML ended, in the text converted from it. */
const CUT_MARK = "\uE000\uE001";
/**
 * HTML that is always converted whole: html-to-text puts "> " in front of every line of a
 * blockquote, and how many (empty) lines there are can depend on what follows; in a <pre>
 * the text is joined as it comes.
 */
const PRE_OR_BLOCKQUOTE = /<(?:pre|blockquote)[\s/>]/i;

function htmlLeafText(raw: Buffer, leaf: TextLeaf, need: number): string {
  // mailparser converts the HTML with its line breaks normalized to "\n" (for text parts
  // that makes no difference to the collapsed snippet)
  const html = decodeLeaf(raw, leaf, 0).replace(/\r?\n/g, "\n");
  if (!html) return "";
  // mailparser refuses to convert HTML nested too deep (the text is then empty)
  if (exceedsHtmlNestingDepth(html, MAX_HTML_NESTING_DEPTH)) return "";
  try {
    // html-to-text costs about 0.2 ms per KB, so a prefix of the HTML is converted first. It
    // is cut before a tag, outside comments and raw text, and after the <body> tag if the
    // document has one (html-to-text then converts only the body). Elements still open at
    // the cut add their closing output (a link's [href]) after the text, so a mark is put at
    // the cut and only the text in front of it is used: a prefix of the full text.
    if (html.length > HTML_PREFIX_CHARS && !html.includes(CUT_MARK) && !PRE_OR_BLOCKQUOTE.test(html)) {
      const hasBodyTag = /<body/i.test(html);
      for (let length = HTML_PREFIX_CHARS; length < html.length; length *= 4) {
        const cut = htmlCut(html, length, hasBodyTag);
        if (cut < 0 || cut >= html.length) break;
        const converted = htmlToText(html.slice(0, cut) + CUT_MARK);
        const mark = converted.indexOf(CUT_MARK);
        if (mark < 0) break;
        // Word wrapping may place the last word before the cut differently than the full
        // conversion does (there it may be joined to the text that follows). Lines before
        // the one with the mark are final, so only those are used.
        const text = collapse(converted.slice(0, Math.max(0, converted.lastIndexOf("\n", mark))));
        if (text.length >= need) return text;
      }
    }
    return collapse(htmlToText(html));
  } catch {
    return ""; // mailparser: "Failed to parse HTML", the text stays empty
  }
}
