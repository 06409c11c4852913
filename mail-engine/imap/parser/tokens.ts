/**
 * Turns a command's text and literals into tokens (RFC 3501 9, formal syntax): atoms,
 * quoted strings (with \\ and \" escapes), literals, parenthesised lists, and the
 * FETCH form `BODY[section (list)]<partial>` whose section and partial are attached to
 * the atom. Nesting is bounded. Errors are ParseError, answered BAD by the session.
 */
import type { RawCommand } from "./reader";

export class ParseError extends Error {}

export type Token =
  | { type: "atom"; value: string; section?: Token[]; partial?: [number, number | null] }
  | { type: "string"; value: Buffer; literal: boolean }
  | { type: "list"; items: Token[] };

export const MAX_NESTING = 32;

/** Atom characters (RFC 3501 9 ATOM-CHAR, plus "]" resp-specials and "\" for flags). */
const ATOM_STOP = new Set([" ", "(", ")", "{", '"', "[", "\r", "\n"]);
const ATOM_STOP_PLAIN = new Set([" ", "(", ")", "{", '"', "\r", "\n"]);
/** FETCH items whose "[" opens a section (RFC 3501 6.4.5, RFC 3516). */
const SECTION_ATOMS = new Set(["BODY", "BODY.PEEK", "BINARY", "BINARY.PEEK", "BINARY.SIZE"]);

export interface ParsedCommand {
  tag: string;
  name: string;
  args: Token[];
}

export function tokenize(cmd: RawCommand): Token[] {
  const out: Token[] = [];
  const stack: Token[][] = [out];
  const push = (t: Token) => stack[stack.length - 1].push(t);
  for (let piece = 0; piece < cmd.text.length; piece++) {
    const s = cmd.text[piece];
    let i = 0;
    while (i < s.length) {
      const c = s[i];
      if (c === " ") {
        i++;
      } else if (c === "(") {
        if (stack.length > MAX_NESTING) throw new ParseError(`lists nested deeper than ${MAX_NESTING}`);
        const list: Token = { type: "list", items: [] };
        push(list);
        stack.push(list.items);
        i++;
      } else if (c === ")") {
        if (stack.length === 1) throw new ParseError("unbalanced )");
        stack.pop();
        i++;
      } else if (c === '"') {
        const [value, end] = readQuoted(s, i);
        push({ type: "string", value: Buffer.from(value, "latin1"), literal: false });
        i = end;
      } else if (c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f) {
        throw new ParseError(`control character 0x${c.charCodeAt(0).toString(16)} in command`);
      } else {
        let j = i;
        while (j < s.length && !ATOM_STOP.has(s[j]) && !(s[j] === ")" )) {
          if (s.charCodeAt(j) < 0x20 || s.charCodeAt(j) === 0x7f) throw new ParseError("control character in atom");
          j++;
        }
        let value = s.slice(i, j);
        if (j < s.length && s[j] === "[" && !SECTION_ATOMS.has(value.toUpperCase())) {
          // "[" and "]" are atom characters elsewhere (RFC 3501 9: ATOM-CHAR, ASTRING-CHAR).
          while (j < s.length && !ATOM_STOP_PLAIN.has(s[j])) {
            if (s.charCodeAt(j) < 0x20 || s.charCodeAt(j) === 0x7f) throw new ParseError("control character in atom");
            j++;
          }
          value = s.slice(i, j);
        }
        if (j < s.length && s[j] === "[") {
          if (value === "") throw new ParseError("unexpected [");
          // BODY[...] / BINARY[...]: the section may hold a list of header names.
          const close = findClose(s, j);
          const inner = tokenize({ text: [s.slice(j + 1, close)], literals: [] });
          const tok: Token = { type: "atom", value: value, section: inner };
          j = close + 1;
          if (s[j] === "<") {
            const end = s.indexOf(">", j);
            const m = end > 0 ? /^(\d{1,10})(?:\.(\d{1,10}))?$/.exec(s.slice(j + 1, end)) : null;
            if (!m) throw new ParseError("bad partial <n.m>");
            tok.partial = [Number(m[1]), m[2] === undefined ? null : Number(m[2])];
            j = end + 1;
          }
          if (j < s.length && !" )".includes(s[j])) throw new ParseError(`unexpected ${JSON.stringify(s[j])} after ]`);
          push(tok);
        } else {
          if (value === "") throw new ParseError(`unexpected ${JSON.stringify(s[i])}`);
          push({ type: "atom", value });
        }
        i = j;
      }
    }
    if (piece < cmd.literals.length) {
      // literal8 (RFC 3516 4.2): "~{n}" is a literal that may hold NUL.
      const cur = stack[stack.length - 1];
      const last = cur[cur.length - 1];
      if (s.endsWith("~") && last?.type === "atom" && last.value === "~") cur.pop();
      push({ type: "string", value: cmd.literals[piece], literal: true });
    }
  }
  if (stack.length !== 1) throw new ParseError("unbalanced (");
  return out;
}

function readQuoted(s: string, start: number): [string, number] {
  let out = "";
  for (let i = start + 1; i < s.length; i++) {
    const c = s[i];
    if (c === '"') return [out, i + 1];
    if (c === "\\") {
      const n = s[i + 1];
      // RFC 3501 9: quoted-specials only may be escaped.
      if (n !== "\\" && n !== '"') throw new ParseError("only \\\\ and \\\" may be escaped in a quoted string");
      out += n;
      i++;
    } else if (c === "\r" || c === "\n" || c === "\0") {
      throw new ParseError("CR, LF or NUL in a quoted string");
    } else out += c;
  }
  throw new ParseError("unterminated quoted string");
}

function findClose(s: string, open: number): number {
  let inQuote = false;
  for (let i = open + 1; i < s.length; i++) {
    if (inQuote) {
      if (s[i] === "\\") i++;
      else if (s[i] === '"') inQuote = false;
    } else if (s[i] === '"') inQuote = true;
    else if (s[i] === "[") throw new ParseError("nested [");
    else if (s[i] === "]") return i;
  }
  throw new ParseError("missing ]");
}

/** tag SP command [SP arguments] (RFC 3501 9 "command"). */
export function parseCommand(cmd: RawCommand): ParsedCommand {
  const first = cmd.text[0];
  const m = /^([^\s(){%*"\\\]+\x00-\x1f\x7f]+) ([A-Za-z]+)(?: |$)/.exec(first);
  if (!m) throw new ParseError("expected: tag SP command");
  const rest: RawCommand = { text: [first.slice(m[0].length), ...cmd.text.slice(1)], literals: cmd.literals };
  if (m[0].endsWith(" ") && rest.text[0] === "" && rest.text.length === 1) throw new ParseError("trailing space");
  return { tag: m[1], name: m[2].toUpperCase(), args: tokenize(rest) };
}

// Typed readers of arguments, used by the commands.

export function str(t: Token | undefined, what: string): string {
  if (!t) throw new ParseError(`missing ${what}`);
  if (t.type === "string") return t.value.toString("utf8");
  if (t.type === "atom" && !t.section) return t.value;
  throw new ParseError(`${what} must be an atom or string`);
}

/** astring that may be a literal: bytes as given. */
export function bytes(t: Token | undefined, what: string): Buffer {
  if (!t) throw new ParseError(`missing ${what}`);
  if (t.type === "string") return t.value;
  if (t.type === "atom" && !t.section) return Buffer.from(t.value, "latin1");
  throw new ParseError(`${what} must be an atom or string`);
}

export function atom(t: Token | undefined, what: string): string {
  if (!t || t.type !== "atom" || t.section) throw new ParseError(`missing ${what}`);
  return t.value;
}

export function list(t: Token | undefined, what: string): Token[] {
  if (!t || t.type !== "list") throw new ParseError(`${what} must be a parenthesised list`);
  return t.items;
}

export function number(t: Token | undefined, what: string): number {
  const v = atom(t, what);
  if (!/^\d{1,10}$/.test(v) || Number(v) > 0xffffffff) throw new ParseError(`${what} must be a number`);
  return Number(v);
}

export function noMore(args: Token[], n: number): void {
  if (args.length > n) throw new ParseError("too many arguments");
}
