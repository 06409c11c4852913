/**
 * Sequence sets (RFC 3501 9 "sequence-set"): "1:4,7,9:*". "*" is the largest number in
 * use (the message count for sequence numbers, the largest UID for UIDs); "n:m" is the
 * same as "m:n". Resolved to inclusive ranges against that largest number.
 */
import { ParseError } from "./tokens";

export type Range = [number, number];

const SEQ = /^(\d+|\*)(?::(\d+|\*))?$/;
const MAX_RANGES = 10_000;

export function parseSequenceSet(text: string, largest: number): Range[] {
  if (!text) throw new ParseError("empty sequence set");
  const parts = text.split(",");
  if (parts.length > MAX_RANGES) throw new ParseError(`more than ${MAX_RANGES} ranges in a sequence set`);
  const out: Range[] = [];
  for (const p of parts) {
    const m = SEQ.exec(p);
    if (!m) throw new ParseError(`bad sequence set ${JSON.stringify(text.slice(0, 100))}`);
    const a = m[1] === "*" ? largest : Number(m[1]);
    const b = m[2] === undefined ? a : m[2] === "*" ? largest : Number(m[2]);
    if ((m[1] !== "*" && a === 0) || (m[2] !== undefined && m[2] !== "*" && b === 0)) throw new ParseError("0 is not a valid message number or UID");
    if (a > 0xffffffff || b > 0xffffffff) throw new ParseError("number out of range");
    out.push(a <= b ? [a, b] : [b, a]);
  }
  return out;
}

export function inRanges(n: number, ranges: Range[]): boolean {
  for (const [a, b] of ranges) if (n >= a && n <= b) return true;
  return false;
}

/** Ranges sorted, with overlapping and adjacent ones joined. */
export function mergeRanges(ranges: Range[]): Range[] {
  const sorted = [...ranges].sort((x, y) => x[0] - y[0]);
  const out: Range[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else out.push([r[0], r[1]]);
  }
  return out;
}

export function isSequenceSet(text: string): boolean {
  return text.split(",").every((p) => SEQ.test(p));
}

/** The index of the first element of `sorted` (ascending) that is at least `v`. */
export function lowerBound(sorted: number[], v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
