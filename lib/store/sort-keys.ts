/**
 * The stored keys of the webmail list's sender and subject orders (Message.sortFrom and
 * sortSubject, migration 0011), written by the store's delivery op and carried by copies
 * and moves; lib/store/list-sort.ts reads them.
 */

/** Longest stored sort key: enough to order by, short enough to keep the indexes small. */
const KEY_MAX = 200;

/** The sender order's key: the display name, else the address; trimmed, lower-case. */
export function senderSortKey(fromName: string, fromAddress: string): string {
  return (fromName.trim() || fromAddress.trim()).toLowerCase().slice(0, KEY_MAX);
}

/** Reply and forward prefixes (English and the common European ones: AW, SV, WG, TR, RIF). */
const PREFIX = /^\s*(?:re|fwd?|aw|sv|wg|tr|rif)\s*(?:\[\d+\])?\s*:\s*/i;

/** The subject order's key: lower-case, without any leading Re:/Fwd: (repeated) prefixes. */
export function subjectSortKey(subject: string): string {
  let s = subject;
  for (let i = 0; i < 10 && PREFIX.test(s); i++) s = s.replace(PREFIX, "");
  return s.trim().toLowerCase().slice(0, KEY_MAX);
}
