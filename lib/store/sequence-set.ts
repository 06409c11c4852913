/** Compact UID lists as IMAP sequence sets (RFC 3501 9, "sequence-set"): [1,2,3,7] <-> "1:3,7". */
export function toSequenceSet(uids: Iterable<number>): string {
  return orderedSequenceSet([...new Set(uids)].sort((a, b) => a - b));
}

/** Numbers in the order given, runs of consecutive ascending ones as ranges (ESORT's ALL, RFC 5267 3.2): [3,1,2] -> "3,1:2". */
export function orderedSequenceSet(ids: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < ids.length; ) {
    let j = i;
    while (j + 1 < ids.length && ids[j + 1] === ids[j] + 1) j++;
    out.push(i === j ? String(ids[i]) : `${ids[i]}:${ids[j]}`);
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
