/** Multipart delimiter lines (RFC 2046 5.1.1), recognised as mailsplit does. */

const LF = 0x0a;
const CR = 0x0d;
const DASH = 0x2d;

/**
 * mailsplit's compareBoundary() for a line that starts (after `sp` stray CR bytes) with
 * "--": 1 for a delimiter of `delim` ("--" + boundary), 2 for its closing delimiter, 0 for
 * neither. Transport padding (RFC 2046 5.1.1) may follow the boundary.
 */
export function compareBoundary(line: Buffer, from: number, len: number, sp: number, delim: Buffer): 0 | 1 | 2 {
  const bl = delim.length - 2;
  if (len - from < bl + 3 + sp || len - from > bl + 1004 + sp) return 0;
  if (line.compare(delim, 0, delim.length, from + sp, from + sp + delim.length) !== 0) return 0;
  let i = from + sp + delim.length;
  let result: 1 | 2 = 1;
  if (i < len && line[i] === DASH) {
    if (!(i + 1 < len && line[i + 1] === DASH)) return 0;
    result = 2;
    i += 2;
  }
  while (i < len && (line[i] === 0x20 || line[i] === 0x09)) i++;
  if (i === len) return result === 2 ? 2 : 0;
  while (i < len && line[i] === CR) i++;
  if (i < len && line[i] === LF) i++;
  return i === len ? result : 0;
}
