/**
 * The webmail's search box: Gmail's query language translated to the store's search key
 * tree (lib/store/search.ts), which compiles it to SQL over the full-text index.
 *
 * Terms are ANDed; `a OR b` (upper case, as Gmail) joins its neighbours; `-term` negates;
 * `( ... )` groups; `"a phrase"` is a free phrase (its words, in any order, as the index
 * matches words, not positions). Free words search headers and bodies (TEXT).
 * Operators: from: to: cc: subject: has:attachment filename: is:unread|read|starred|
 * unstarred in:<folder>|anywhere before: after: older_than: newer_than: larger: smaller:.
 * An unknown operator ("foo:bar") is searched as the free text it is.
 *
 * Pure: no database, no clock (the caller passes `now` for older_than/newer_than).
 */
import type { SearchKey } from "../store/search";

export interface ParsedQuery {
  /** The message condition; folder scope is separate (`folder`). */
  key: SearchKey;
  /** `in:<folder>` (the last one given), "anywhere" for `in:anywhere`, null when none. */
  folder: string | null;
  /** Words and phrases to highlight in results (free text, from:, to:, subject: values), not the negated ones. */
  highlight: string[];
  /** Operators the query used that were not understood (shown to the user, searched as text). */
  unknown: string[];
}

interface Token {
  kind: "word" | "phrase" | "op" | "or" | "open" | "close";
  text: string;
  /** op: the operator name (lower case). */
  name?: string;
  negated: boolean;
}

const OPERATORS = new Set(["from", "to", "cc", "subject", "has", "filename", "is", "in", "before", "after", "older_than", "newer_than", "larger", "smaller"]);
const DAY_MS = 86_400_000;

/** Splits the query into tokens: quoted phrases, `name:value` (value may be quoted), parentheses, OR. */
function tokenize(input: string): Token[] {
  const out: Token[] = [];
  const s = input.normalize("NFC");
  let i = 0;
  const readQuoted = (): string => {
    // s[i] is the opening quote; an unclosed quote runs to the end.
    const end = s.indexOf('"', i + 1);
    const text = s.slice(i + 1, end < 0 ? s.length : end);
    i = end < 0 ? s.length : end + 1;
    return text;
  };
  while (i < s.length) {
    const c = s[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "(" || c === ")") {
      out.push({ kind: c === "(" ? "open" : "close", text: c, negated: false });
      i++;
      continue;
    }
    let negated = false;
    if (c === "-" && i + 1 < s.length && !/[\s)]/.test(s[i + 1])) {
      negated = true;
      i++;
    }
    if (s[i] === "(") {
      // "-(a b)": a negated group; the open token carries the negation.
      out.push({ kind: "open", text: "(", negated });
      i++;
      continue;
    }
    if (s[i] === '"') {
      out.push({ kind: "phrase", text: readQuoted(), negated });
      continue;
    }
    const start = i;
    while (i < s.length && !/[\s()"]/.test(s[i])) {
      if (s[i] === ":" && i + 1 < s.length && s[i + 1] === '"') break;
      i++;
    }
    let word = s.slice(start, i);
    // name:"quoted value" stopped the loop before its colon.
    const quotedValue = s[i] === ":" && s[i + 1] === '"';
    if (quotedValue) i++;
    const colon = quotedValue ? word.length : word.indexOf(":");
    const name = colon > 0 ? word.slice(0, colon).toLowerCase() : "";
    if (colon > 0 && OPERATORS.has(name)) {
      const value = quotedValue ? readQuoted() : word.slice(colon + 1);
      out.push({ kind: "op", text: value, name, negated });
      continue;
    }
    if (quotedValue) word = `${word}:${readQuoted()}`;
    if (word === "OR" && !negated) out.push({ kind: "or", text: word, negated });
    else if (word !== "") out.push({ kind: "word", text: word, negated });
  }
  return out;
}

/** "2024/01/31", "2024-1-31" or "31/01/2024"-free ISO-ish dates: YYYY-MM-DD, or null. */
export function parseDate(v: string): string | null {
  const m = /^(\d{4})[/.-](\d{1,2})[/.-](\d{1,2})$/.exec(v.trim());
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null;
  return date.toISOString().slice(0, 10);
}

/** "3d", "2w", "6m", "1y" (Gmail's units: day, week, month, year) to days; null when unreadable. */
export function parseAge(v: string): number | null {
  const m = /^(\d{1,5})([dwmy])$/i.exec(v.trim());
  if (!m) return null;
  const n = Number(m[1]);
  return n * { d: 1, w: 7, m: 30, y: 365 }[m[2].toLowerCase() as "d" | "w" | "m" | "y"];
}

/** "10M", "500K", "1.5MB", "2000" (bytes) to bytes; null when unreadable. */
export function parseSize(v: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)b?$/i.exec(v.trim());
  if (!m) return null;
  const mult = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase() as "" | "k" | "m" | "g"];
  return Math.round(Number(m[1]) * mult);
}

function daysBefore(now: Date, days: number): string {
  return new Date(now.getTime() - days * DAY_MS).toISOString().slice(0, 10);
}

class Parser {
  private pos = 0;
  folder: string | null = null;
  readonly highlight: string[] = [];
  readonly unknown: string[] = [];

  constructor(
    private readonly tokens: Token[],
    private readonly now: Date,
  ) {}

  /** Steps over a ")" that closes nothing; false at the end of the query. */
  skipStrayClose(): boolean {
    if (this.pos >= this.tokens.length) return false;
    this.pos++;
    return true;
  }

  /** sequence := orExpr* (until ")" or the end) */
  sequence(): SearchKey[] {
    const keys: SearchKey[] = [];
    while (this.pos < this.tokens.length && this.tokens[this.pos].kind !== "close") {
      if (this.tokens[this.pos].kind === "or") {
        this.pos++; // a stray OR (at the start, or doubled): ignored
        continue;
      }
      const k = this.orExpr();
      if (k) keys.push(k);
    }
    return keys;
  }

  /** orExpr := unit ("OR" unit)* */
  private orExpr(): SearchKey | null {
    let left = this.unit();
    while (this.tokens[this.pos]?.kind === "or") {
      this.pos++;
      if (this.pos >= this.tokens.length || this.tokens[this.pos].kind === "close") break;
      const right = this.unit();
      if (!right) continue;
      left = left ? { op: "or", a: left, b: right } : right;
    }
    return left;
  }

  private unit(): SearchKey | null {
    const t = this.tokens[this.pos++];
    if (t.kind === "open") {
      const inner = this.sequence();
      if (this.tokens[this.pos]?.kind === "close") this.pos++;
      const k = and(inner);
      return k && t.negated ? { op: "not", key: k } : k;
    }
    const k = this.term(t);
    if (!k) return null;
    return t.negated ? { op: "not", key: k } : k;
  }

  private term(t: Token): SearchKey | null {
    if (t.kind === "word" || t.kind === "phrase") {
      if (t.text.trim() === "") return null;
      if (!t.negated) this.highlight.push(t.text);
      return { op: "text", value: t.text };
    }
    if (t.kind !== "op") return null;
    const v = t.text;
    const asText = (): SearchKey | null => {
      this.unknown.push(`${t.name}:${v}`);
      const text = `${t.name}:${v}`;
      if (!t.negated) this.highlight.push(text);
      return { op: "text", value: text };
    };
    switch (t.name) {
      case "from":
      case "to":
      case "cc":
      case "subject":
        if (v === "") return asText();
        if (!t.negated) this.highlight.push(v);
        return { op: t.name, value: v };
      case "filename":
        if (v === "") return asText();
        return { op: "filename", value: v };
      case "has":
        return v.toLowerCase() === "attachment" ? { op: "attachment" } : asText();
      case "is":
        switch (v.toLowerCase()) {
          case "unread":
            return { op: "flag", flag: "seen", set: false };
          case "read":
            return { op: "flag", flag: "seen", set: true };
          case "starred":
            return { op: "flag", flag: "flagged", set: true };
          case "unstarred":
            return { op: "flag", flag: "flagged", set: false };
          default:
            return asText();
        }
      case "in":
        if (v === "") return asText();
        // A scope, not a condition: the last in: wins, and "-in:" is not a scope.
        if (t.negated) return asText();
        this.folder = v.toLowerCase() === "anywhere" ? "anywhere" : v;
        return null;
      case "before":
      case "after": {
        const d = parseDate(v);
        if (!d) return asText();
        // As Gmail: before:D ends when D begins, after:D starts with D (days in UTC).
        return t.name === "before" ? { op: "before", date: d } : { op: "since", date: d };
      }
      case "older_than":
      case "newer_than": {
        const days = parseAge(v);
        if (days === null) return asText();
        const d = daysBefore(this.now, days);
        return t.name === "older_than" ? { op: "before", date: d } : { op: "since", date: d };
      }
      case "larger":
      case "smaller": {
        const size = parseSize(v);
        if (size === null) return asText();
        return { op: t.name, size };
      }
      default:
        return asText();
    }
  }
}

function and(keys: SearchKey[]): SearchKey | null {
  if (keys.length === 0) return null;
  return keys.length === 1 ? keys[0] : { op: "and", keys };
}

/** The query as a search key; an empty query (or only `in:`) is `all`. */
export function parseQuery(input: string, now: Date = new Date()): ParsedQuery {
  const p = new Parser(tokenize(input.slice(0, 2000)), now);
  const keys: SearchKey[] = [];
  // A ")" without its "(" is skipped, and parsing goes on after it.
  do keys.push(...p.sequence());
  while (p.skipStrayClose());
  return { key: and(keys) ?? { op: "all" }, folder: p.folder, highlight: [...new Set(p.highlight)], unknown: p.unknown };
}
