/** Compact UID lists as IMAP sequence sets (RFC 3501 9, "sequence-set"): [1,2,3,7] <-> "1:3,7". */
export function toSequenceSet(uids: Iterable<number>): string {
  const sorted = [...new Set(uids)].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    out.push(i === j ? String(sorted[i]) : `${sorted[i]}:${sorted[j]}`);
    i = j + 1;
  }
  return out.join(",");
}

/** The UIDs of a set written by toSequenceSet (no "*"); [] for "". */
export function fromSequenceSet(set: string): number[] {
  const out: number[] = [];
  if (!set) return out;
  for (const part of set.split(",")) {
    const [a, b] = part.split(":").map(Number);
    if (b === undefined) out.push(a);
    else for (let n = Math.min(a, b); n <= Math.max(a, b); n++) out.push(n);
  }
  return out;
}
