/**
 * SEARCH evaluation (RFC 3501 6.4.4) over one mailbox.
 *
 * STOP-GAP written by the IMAP branch so IMAP SEARCH works on its own: the search
 * branch owns this file (indexed columns, full-text index) and its version replaces
 * this one at merge. Same types and signature. This version reads the mailbox's rows
 * and, only for HEADER/BCC/BODY/TEXT, each message's bytes: correct, not fast.
 */
import type { MailStore } from "./index";

export type SearchKey =
  | { op: "all" } | { op: "and"; keys: SearchKey[] } | { op: "or"; a: SearchKey; b: SearchKey } | { op: "not"; key: SearchKey }
  | { op: "flag"; flag: "seen" | "answered" | "flagged" | "deleted" | "draft"; set: boolean }
  | { op: "keyword"; keyword: string; set: boolean }
  | { op: "uid"; uids: Array<[number, number]> }
  | { op: "seq"; seqs: Array<[number, number]> }
  | { op: "header"; field: string; value: string }
  | { op: "from" | "to" | "cc" | "bcc" | "subject"; value: string }
  | { op: "body" | "text"; value: string }
  | { op: "before" | "on" | "since" | "sentbefore" | "senton" | "sentsince"; date: string /* YYYY-MM-DD */ }
  | { op: "larger" | "smaller"; size: number }
  | { op: "new" | "old" | "recent" }
  | { op: "modseq"; modseq: string };

interface Row {
  uid: number;
  seq: number;
  seen: boolean; answered: boolean; flagged: boolean; deleted: boolean; draft: boolean;
  keywords: string;
  size: number;
  internalDate: Date;
  sentDate: Date | null;
  subject: string;
  fromAddress: string; fromName: string; toAddresses: string; ccAddresses: string;
  modSeq: bigint;
  blobHash: string;
}

const needsBytes = (k: SearchKey): boolean =>
  k.op === "header" || k.op === "bcc" || k.op === "body" || k.op === "text" ||
  (k.op === "and" && k.keys.some(needsBytes)) || (k.op === "or" && (needsBytes(k.a) || needsBytes(k.b))) || (k.op === "not" && needsBytes(k.key));

export async function searchMessages(store: MailStore, accountId: string, mailboxId: string, key: SearchKey): Promise<number[]> {
  const rows = await store.db.message.findMany({
    where: { accountId, mailboxId },
    orderBy: { uid: "asc" },
    select: { uid: true, seen: true, answered: true, flagged: true, deleted: true, draft: true, keywords: true, size: true, internalDate: true, sentDate: true, subject: true, fromAddress: true, fromName: true, toAddresses: true, ccAddresses: true, modSeq: true, blobHash: true },
  });
  const out: number[] = [];
  const bytes = needsBytes(key);
  for (let i = 0; i < rows.length; i++) {
    const row: Row = { ...rows[i], seq: i + 1 };
    const raw = bytes ? (await store.blobs.get(row.blobHash)).toString("utf8") : "";
    if (matches(key, row, raw)) out.push(row.uid);
  }
  return out;
}

const has = (hay: string, needle: string) => hay.toLowerCase().includes(needle.toLowerCase());
const day = (d: Date) => d.toISOString().slice(0, 10);

function headerValues(raw: string, field: string): string[] {
  const end = raw.search(/\r?\n\r?\n/);
  const header = (end < 0 ? raw : raw.slice(0, end)).replace(/\r?\n[ \t]/g, " ");
  const out: string[] = [];
  for (const line of header.split(/\r?\n/)) {
    const c = line.indexOf(":");
    if (c > 0 && line.slice(0, c).trim().toLowerCase() === field.toLowerCase()) out.push(line.slice(c + 1).trim());
  }
  return out;
}

function matches(k: SearchKey, r: Row, raw: string): boolean {
  switch (k.op) {
    case "all": return true;
    case "and": return k.keys.every((x) => matches(x, r, raw));
    case "or": return matches(k.a, r, raw) || matches(k.b, r, raw);
    case "not": return !matches(k.key, r, raw);
    case "flag": return r[k.flag] === k.set;
    case "keyword": return r.keywords.split(" ").includes(k.keyword) === k.set;
    case "uid": return k.uids.some(([a, b]) => r.uid >= a && r.uid <= b);
    case "seq": return k.seqs.some(([a, b]) => r.seq >= a && r.seq <= b);
    case "header": {
      const v = headerValues(raw, k.field);
      return k.value === "" ? v.length > 0 : v.some((x) => has(x, k.value));
    }
    case "from": return has(`${r.fromName} ${r.fromAddress}`, k.value);
    case "to": return has(r.toAddresses, k.value);
    case "cc": return has(r.ccAddresses, k.value);
    case "bcc": return headerValues(raw, "bcc").some((x) => has(x, k.value));
    case "subject": return has(r.subject, k.value);
    case "body": {
      const end = raw.search(/\r?\n\r?\n/);
      return has(end < 0 ? "" : raw.slice(end), k.value);
    }
    case "text": return has(raw, k.value);
    case "before": return day(r.internalDate) < k.date;
    case "on": return day(r.internalDate) === k.date;
    case "since": return day(r.internalDate) >= k.date;
    case "sentbefore": return !!r.sentDate && day(r.sentDate) < k.date;
    case "senton": return !!r.sentDate && day(r.sentDate) === k.date;
    case "sentsince": return !!r.sentDate && day(r.sentDate) >= k.date;
    case "larger": return r.size > k.size;
    case "smaller": return r.size < k.size;
    case "new": return !r.seen;
    case "old": return true;
    case "recent": return false;
    case "modseq": return r.modSeq >= BigInt(k.modseq);
  }
}
