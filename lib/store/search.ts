/**
 * IMAP SEARCH (RFC 3501 / RFC 9051 section 6.4.4) over the store: a search key tree,
 * already parsed and resolved by the IMAP server ("*", $, sequence sets), compiled to one
 * SQL query scoped by account AND mailbox, so one account never sees another's messages.
 *
 * - Flags, size, internal date, sent date, MODSEQ and UIDs are columns of "Message";
 *   KEYWORD uses "MessageKeyword"'s (mailboxId, keyword) index.
 * - FROM/TO/CC/SUBJECT: case-insensitive substring of the decoded value, the address or
 *   the display name (RFC 3501 6.4.4), from the Message columns (FROM's other authors, or
 *   a From without an address as written, in "fromExtra"); TO/CC also of the field as
 *   written in the stored envelope (group names).
 * - TEXT/BODY: the full-text index (search-index.ts), word-prefix match as Dovecot's fts
 *   does (lib/mime/search-text.ts explains the rule): a word of the message is found, a
 *   word that is not in it is not; "tion" does not find "information". Messages whose
 *   blob has no index entry (stored before the index existed) are scanned, same rule.
 * - BCC and HEADER fields without a column are read from the stored header section, only
 *   for the candidates the SQL part of the query leaves.
 * - Dates (RFC 3501 6.4.4: time and zone disregarded): SENT* compare the day the Date
 *   header names, in its own zone (SQL on the instant decides all but the messages within
 *   a day of the boundary; those read their stored header), or the internal date without
 *   one; BEFORE/ON/SINCE the internal date's UTC day (the store keeps the instant, not
 *   the zone APPEND gave it in).
 * - \Recent is a session's (RFC 3501 2.3.2): the IMAP server turns RECENT / NEW / OLD into
 *   UID keys before searching; a caller without sessions gets NEW = UNSEEN, OLD = ALL, RECENT = none.
 */
import { decodeHeaderValue, extractSearchText, searchableText, words } from "../mime/search-text";
import type { MailStore } from "./index";
import { readStructure, type StoredStructure } from "./parse";
import { ENVELOPE_FIELDS, attachments } from "../mime/structure";
import { pgDate, type Dialect } from "./tx";
import { fold, reader, type Reader } from "./read-connection";

export type SearchKey =
  | { op: "all" } | { op: "and"; keys: SearchKey[] } | { op: "or"; a: SearchKey; b: SearchKey } | { op: "not"; key: SearchKey }
  | { op: "flag"; flag: "seen" | "answered" | "flagged" | "deleted" | "draft"; set: boolean }
  | { op: "keyword"; keyword: string; set: boolean }
  | { op: "uid"; uids: Array<[number, number]> }          // inclusive ranges, already resolved
  | { op: "seq"; seqs: Array<[number, number]> }          // inclusive message sequence number ranges, resolved
  | { op: "header"; field: string; value: string }         // HEADER field string ("" = has the field)
  | { op: "from" | "to" | "cc" | "bcc" | "subject"; value: string }
  | { op: "body" | "text"; value: string }
  | { op: "before" | "on" | "since" | "sentbefore" | "senton" | "sentsince"; date: string /* YYYY-MM-DD */ }
  | { op: "larger" | "smaller"; size: number }
  | { op: "new" | "old" | "recent" }                        // no \Recent support: new = unseen, old = all, recent = none
  | { op: "modseq"; modseq: string }
  // Webmail only (lib/search-query): not IMAP keys.
  | { op: "attachment" }                                    // the message has an attachment (the stored flag)
  | { op: "filename"; value: string };                      // an attachment's file name contains the value

/** A candidate row as the JS part of a search sees it. */
interface Row {
  uid: number;
  blobHash: string;
  [column: string]: unknown;
}

/** What a search reads lazily per candidate row (the stored structure, the header section, the search words). */
class RowData {
  private structure: Promise<StoredStructure | null> | null = null;
  private header: Promise<string> | null = null;
  private text: Promise<{ head: Set<string>; body: Set<string> } | null> | null = null;

  constructor(
    private readonly store: MailStore,
    readonly row: Row,
    /** Structures (and header bytes of blobs held in their row) fetched for a batch of rows at once; a row not in it is read alone. */
    private readonly prefetched?: Map<string, { structure: string | null; head: Uint8Array | null }>,
  ) {}

  getStructure(): Promise<StoredStructure | null> {
    const pre = this.prefetched?.get(this.row.blobHash);
    if (pre !== undefined) return (this.structure ??= Promise.resolve(readStructure(pre.structure)));
    return (this.structure ??= this.store.db.blob.findUnique({ where: { hash: this.row.blobHash }, select: { structure: true } }).then((b) => readStructure(b?.structure)));
  }

  /** The header section, unfolded (RFC 5322 2.2.3), as text. */
  getHeader(): Promise<string> {
    return (this.header ??= this.getStructure().then(async (st) => {
      const end = st ? st.structure.bodyStart : HEAD_PREFETCH;
      const head = this.prefetched?.get(this.row.blobHash)?.head;
      const buf = head && st && end <= head.length ? Buffer.from(head.buffer, head.byteOffset, end) : await this.store.blobs.getRange(this.row.blobHash, 0, end).catch(() => Buffer.alloc(0));
      return buf.toString("utf8").replace(/\r?\n(?=[ \t])/g, "");
    }));
  }

  private searchable: Promise<string | null> | null = null;
  private searchableHead = false;

  /** The decoded text TEXT (with the header) or BODY looks in. */
  getSearchable(withHeader: boolean): Promise<string | null> {
    if (this.searchable && this.searchableHead === withHeader) return this.searchable;
    this.searchableHead = withHeader;
    return (this.searchable = this.getStructure().then((st) =>
      st ? this.readParts((read) => searchableText(st.structure, read, withHeader)).catch(() => null) : null,
    ));
  }

  /** The message's parts read through one open blob (one file open for all its text parts). */
  private async readParts<T>(fn: (read: (start: number, end: number) => Promise<Buffer>) => Promise<T>): Promise<T> {
    const ranges = await this.store.blobs.rangeReader(this.row.blobHash);
    try {
      return await fn((s, e) => ranges.read(s, e));
    } finally {
      await ranges.close();
    }
  }

  getText(): Promise<{ head: Set<string>; body: Set<string> } | null> {
    return (this.text ??= this.getStructure().then(async (st) => {
      if (!st) return null;
      const t = await this.readParts((read) => extractSearchText(st.structure, st.envelope, read)).catch(() => null);
      return t && { head: new Set(t.head.split(" ")), body: new Set(t.body.split(" ")) };
    }));
  }
}

/** Candidate rows tested in JS are read in batches of this many (their stored structures in one query). */
const BATCH = 500;
/** UID or sequence ranges beyond this many are matched as one list of the mailbox's UIDs. */
const MAX_OR_RANGES = 32;
/** Column names: the only flag values put into SQL text. */
const FLAGS = new Set(["seen", "answered", "flagged", "deleted", "draft"]);
/** Bytes of a row-held blob read with the batch for HEADER searches: more than almost any header section. */
const HEAD_PREFETCH = 32 * 1024;

type Eval = (r: RowData) => boolean | Promise<boolean>;
/** A compiled key: SQL over "Message" m, or a JS test per candidate (which may use SQL columns). */
type Node = { sql: string } | { js: Eval };

class Compiler {
  readonly params: unknown[] = [];
  readonly columns: string[] = [];

  constructor(
    readonly dialect: Dialect,
    private readonly uidsBySeq: number[] | null,
    /** Whether some messages of the mailbox have pending full-text entries (then TEXT/BODY scan those). */
    private readonly unindexed: boolean,
    /** SQLite: the index's words holding each TEXT/BODY first word (absent: too many to list). */
    private readonly infixTerms: Map<string, string[] | undefined> = new Map(),
  ) {}

  p(v: unknown): string {
    this.params.push(v);
    return `$${this.params.length}`;
  }

  /** A SQL condition evaluated per row as a column, for a JS node above it. */
  column(sql: string): Eval {
    const name = `c${this.columns.length}`;
    this.columns.push(`CASE WHEN ${sql} THEN 1 ELSE 0 END AS "${name}"`);
    return (r) => Number(r.row[name]) === 1;
  }

  toEval(n: Node): Eval {
    return "sql" in n ? this.column(n.sql) : n.js;
  }

  compile(k: SearchKey): Node {
    const pg = this.dialect === "postgresql";
    switch (k.op) {
      case "all":
      case "old":
        return { sql: "1=1" };
      case "recent":
        return { sql: "1=0" };
      case "new":
        return { sql: `m."seen" = ${this.p(false)}` };
      case "and": {
        const parts = k.keys.map((x) => this.compile(x));
        if (parts.length === 0) return { sql: "1=1" };
        if (parts.every((x) => "sql" in x)) return { sql: `(${cheapFirst(parts.map((x) => (x as { sql: string }).sql)).join(" AND ")})` };
        const evals = parts.map((x) => this.toEval(x));
        return {
          js: async (r) => {
            for (const e of evals) if (!(await e(r))) return false;
            return true;
          },
        };
      }
      case "or": {
        const a = this.compile(k.a);
        const b = this.compile(k.b);
        if ("sql" in a && "sql" in b) return { sql: `(${a.sql} OR ${b.sql})` };
        const [ea, eb] = [this.toEval(a), this.toEval(b)];
        return { js: async (r) => (await ea(r)) || (await eb(r)) };
      }
      case "not": {
        const a = this.compile(k.key);
        if ("sql" in a) return { sql: `NOT ${a.sql}` };
        const ea = a.js;
        return { js: async (r) => !(await ea(r)) };
      }
      case "flag":
        if (!FLAGS.has(k.flag)) throw new Error(`unknown flag ${JSON.stringify(k.flag)}`);
        return { sql: `m."${k.flag}" = ${this.p(k.set)}` };
      case "keyword": {
        const sql = `m."id" IN (SELECT k."messageId" FROM "MessageKeyword" k WHERE k."mailboxId" = $2 AND k."keyword" = ${this.p(k.keyword)})`;
        return { sql: k.set ? sql : `NOT ${sql}` };
      }
      case "uid":
        return { sql: this.ranges(k.uids) };
      case "seq": {
        const uids = this.uidsBySeq ?? [];
        const ranges: Array<[number, number]> = [];
        for (const [a0, b0] of k.seqs) {
          const [a, b] = [Math.max(1, Math.min(a0, b0)), Math.min(uids.length, Math.max(a0, b0))];
          if (a <= b) ranges.push([uids[a - 1], uids[b - 1]]);
        }
        return { sql: this.ranges(ranges) };
      }
      case "subject":
        return { sql: this.contains(`m."subject"`, k.value) };
      case "from":
        // fromExtra: the other authors, or the header as written when it has no address (ops/deliver.ts).
        return { sql: `(${this.contains(`m."fromAddress"`, k.value)} OR ${this.contains(`m."fromName"`, k.value)} OR ${this.contains(`m."fromExtra"`, k.value)})` };
      case "to":
      case "cc": {
        const col = k.op === "to" ? `m."toAddresses"` : `m."ccAddresses"`;
        if (k.value === "") return { sql: "1=1" };
        // The columns are JSON [{name, address}]: match the values, not the JSON's key names.
        const decoded = pg
          ? `EXISTS (SELECT 1 FROM json_array_elements(CASE WHEN ${col} LIKE '[%' THEN ${col}::json ELSE '[]'::json END) j WHERE ${this.contains(`(j->>'address')`, k.value)} OR ${this.contains(`(j->>'name')`, k.value)})`
          : `EXISTS (SELECT 1 FROM json_each(CASE WHEN json_valid(${col}) THEN ${col} ELSE '[]' END) j WHERE ${this.contains(`json_extract(j.value, '$.address')`, k.value)} OR ${this.contains(`json_extract(j.value, '$.name')`, k.value)})`;
        return { sql: `(${decoded} OR ${this.contains(this.envelopeField(k.op), k.value)})` };
      }
      case "bcc": {
        if (k.value === "") return { sql: "1=1" };
        const needle = fold(k.value);
        return { js: async (r) => fold(decodeHeaderValue((await r.getStructure())?.envelope.bcc ?? "")).includes(needle) };
      }
      case "header": {
        const field = k.field.toLowerCase();
        if (k.value !== "" && (field === "subject" || field === "from" || field === "to" || field === "cc" || field === "bcc")) return this.compile({ op: field, value: k.value });
        const needle = fold(k.value);
        const env = ENVELOPE_FIELDS[field];
        if (env) {
          // Kept in the stored envelope: no need to read the message's header.
          return {
            js: async (r) => {
              const st = await r.getStructure();
              if (!st) return false;
              const v = st.envelope[env];
              return v != null && (needle === "" || fold(decodeHeaderValue(v)).includes(needle));
            },
          };
        }
        return {
          js: async (r) => {
            for (const v of headerValues(await r.getHeader(), field)) if (needle === "" || fold(decodeHeaderValue(v)).includes(needle)) return true;
            return false;
          },
        };
      }
      case "text":
      case "body":
        return this.fullText(k.op, k.value);
      case "before":
        return { sql: `m."internalDate" < ${this.date(k.date, 0)}` };
      case "on":
        return { sql: `(m."internalDate" >= ${this.date(k.date, 0)} AND m."internalDate" < ${this.date(k.date, 1)})` };
      case "since":
        return { sql: `m."internalDate" >= ${this.date(k.date, 0)}` };
      case "sentbefore":
      case "senton":
      case "sentsince":
        return this.sentDate(k.op, k.date);
      case "larger":
        return { sql: `m."size" > ${this.p(k.size)}` };
      case "smaller":
        return { sql: `m."size" < ${this.p(k.size)}` };
      case "attachment":
        return { sql: `m."hasAttachments" = ${this.p(true)}` };
      case "filename": {
        if (k.value === "") return { sql: "1=1" };
        const needle = fold(k.value);
        // Only messages with attachments can match: SQL leaves those, their stored structure names the files.
        const has = this.column(`m."hasAttachments" = ${this.p(true)}`);
        return {
          js: async (r) => {
            if (!has(r)) return false;
            const st = await r.getStructure();
            return !!st && attachments(st.structure).some((a) => fold(a.filename).includes(needle));
          },
        };
      }
      case "modseq":
        return { sql: pg ? `m."modSeq" >= ${this.p(k.modseq)}::bigint` : `m."modSeq" >= ${this.p(BigInt(k.modseq))}` };
      default:
        throw new Error(`unknown search key ${JSON.stringify(k)}`);
    }
  }

  private ranges(list: Array<[number, number]>): string {
    if (list.length === 0) return "1=0";
    if (list.length > MAX_OR_RANGES) {
      // A long set ("1,3,5,7,..."): the mailbox's UIDs in it, as one list (an OR chain
      // that long would pass SQLite's expression depth limit).
      const merged: Array<[number, number]> = [];
      for (const [a, b] of list.map(([x, y]) => [Math.min(x, y), Math.max(x, y)] as [number, number]).sort((x, y) => x[0] - y[0])) {
        const last = merged[merged.length - 1];
        if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
        else merged.push([a, b]);
      }
      const hit = (this.uidsBySeq ?? []).filter((u) => {
        let lo = 0;
        let hi = merged.length - 1;
        while (lo <= hi) {
          const mid = (lo + hi) >> 1;
          if (merged[mid][0] > u) hi = mid - 1;
          else lo = mid + 1;
        }
        return hi >= 0 && merged[hi][1] >= u; // merged[hi]: the last interval starting at or before u
      });
      return this.dialect === "postgresql" ? `m."uid" = ANY(${this.p(hit)}::integer[])` : `m."uid" IN (SELECT value FROM json_each(${this.p(hit)}))`;
    }
    return `(${list.map(([a, b]) => (a === b ? `m."uid" = ${this.p(a)}` : `m."uid" BETWEEN ${this.p(Math.min(a, b))} AND ${this.p(Math.max(a, b))}`)).join(" OR ")})`;
  }

  /**
   * The header field as written, from the stored envelope: it has what the decoded columns
   * lack (group names, a From's second address), read only for messages the columns miss.
   */
  private envelopeField(field: "to" | "cc"): string {
    return this.dialect === "postgresql"
      ? `(SELECT b."structure"::json->'envelope'->>'${field}' FROM "Blob" b WHERE b."hash" = m."blobHash")`
      : `(SELECT json_extract(b."structure", '$.envelope.${field}') FROM "Blob" b WHERE b."hash" = m."blobHash")`;
  }

  /** Case-insensitive substring (RFC 3501 6.4.4). SQLite's LIKE folds ASCII only: other needles use mail_fold(). */
  private contains(col: string, value: string): string {
    if (value === "") return "1=1";
    const pattern = `%${likeEscape(value)}%`;
    if (this.dialect === "postgresql") return `${col} ILIKE ${this.p(pattern)} ESCAPE '\\'`;
    // eslint-disable-next-line no-control-regex
    if (/^[\x00-\x7f]*$/.test(value)) return `${col} LIKE ${this.p(pattern)} ESCAPE '\\'`;
    return `instr(mail_fold(${col}), ${this.p(fold(value))}) > 0`;
  }

  /** The start of day `date` + `days`, UTC, as the column stores it. */
  private date(date: string, days: number): string {
    const d = new Date(`${date}T00:00:00Z`);
    if (Number.isNaN(d.getTime())) throw new Error(`not a date: ${date}`);
    d.setUTCDate(d.getUTCDate() + days);
    return this.dialect === "postgresql" ? `${this.p(pgDate(d))}::timestamp` : this.p(d);
  }

  /**
   * SENT*: the Date header's own calendar day, time and zone disregarded (RFC 3501
   * 6.4.4). The column holds the instant (UTC); a zone moves the day by at most one, so
   * SQL decides every message more than a day from the boundary and only those within a
   * day read their stored Date header. Without a Date header: the internal date.
   */
  private sentDate(op: "sentbefore" | "senton" | "sentsince", date: string): Node {
    const col = `COALESCE(m."sentDate", m."internalDate")`;
    const at = (days: number) => this.date(date, days);
    // Certainly in / possibly in, judged on the instant; then the instant's own UTC day.
    const [sure, maybe, utc] =
      op === "sentbefore"
        ? [`${col} < ${at(-1)}`, `${col} < ${at(1)}`, `${col} < ${at(0)}`]
        : op === "sentsince"
          ? [`${col} >= ${at(1)}`, `${col} >= ${at(-1)}`, `${col} >= ${at(0)}`]
          : ["1=0", `(${col} >= ${at(-1)} AND ${col} < ${at(2)})`, `(${col} >= ${at(0)} AND ${col} < ${at(1)})`];
    const [isSure, isMaybe, inUtc] = [this.column(sure), this.column(maybe), this.column(utc)];
    const want = date;
    return {
      js: async (r) => {
        if (isSure(r)) return true;
        if (!isMaybe(r)) return false;
        const raw = (await r.getStructure())?.envelope.date;
        const day = raw ? headerDay(raw) : null;
        if (!day) return inUtc(r); // no Date header, or one we cannot read: the instant's UTC day
        return op === "sentbefore" ? day < want : op === "sentsince" ? day >= want : day === want;
      },
    };
  }

  /**
   * TEXT / BODY: a case-insensitive substring (RFC 3501 6.4.4) of the decoded text (and for
   * TEXT the header values). The index narrows the candidates: a word of the string after
   * its first starts a word of the message (a separator comes before it), and the first
   * lies inside one (SQLite: the index's vocabulary, PostgreSQL: the lexemes of each
   * candidate); a string of one word is then decided, a longer one is checked in the text.
   */
  private fullText(op: "text" | "body", value: string): Node {
    const ws = [...words(value)];
    // A string without a word character: every message holds "" (RFC 3501 substring), and
    // punctuation is not indexed; both match all, as Dovecot's fts does.
    if (ws.length === 0) return { sql: "1=1" };
    const leadsWithWord = words(value.slice(0, 1)).size > 0;
    const [first, ...rest] = leadsWithWord ? ws : ["", ...ws];
    let sql: string;
    if (this.dialect === "postgresql") {
      const q = (w: string) => `${this.p(`'${w}':*`)}::tsquery`;
      const cols = op === "body" ? [`t."body"`] : [`t."head"`, `t."body"`];
      const conds = rest.map((w) => `(${cols.map((c) => `${c} @@ ${q(w)}`).join(" OR ")})`);
      if (first) conds.push(`(${cols.map((c) => `EXISTS (SELECT 1 FROM unnest(tsvector_to_array(${c})) x WHERE x LIKE ${this.p(`%${likeEscape(first)}%`)} ESCAPE '\\')`).join(" OR ")})`);
      sql = `m."blobHash" IN (SELECT t."hash" FROM "BlobText" t WHERE ${conds.join(" AND ")})`;
    } else {
      const col = op === "body" ? "body : " : "";
      const conds = rest.map((w) => `${col}"${w}"*`);
      const terms = first ? this.infixTerms.get(first) : undefined;
      // No word of the index holds it: nothing can match (an empty OR is not valid FTS5).
      if (terms) conds.push(`${col}(${terms.map((t) => `"${t}"`).join(" OR ")})`);
      // Too common to list its words, and nothing else to narrow by: every message is checked.
      if (conds.length === 0) return { js: (r) => this.check(r, op, value) };
      sql =
        terms && terms.length === 0
          ? "1=0"
          : `m."blobHash" IN (SELECT t."hash" FROM "BlobText" t WHERE t."id" IN (SELECT rowid FROM "BlobFts" WHERE "BlobFts" MATCH ${this.p(conds.join(" AND "))}))`;
    }
    // One word and nothing else, and the index listed every word holding it: the index decides.
    const decided = ws.length === 1 && /^[\p{L}\p{N}\p{M}]+$/u.test(value) && (this.dialect === "postgresql" || !!this.infixTerms.get(first));
    if (!this.unindexed && decided) return { sql };
    const matched = this.column(sql);
    if (!this.unindexed) return { js: (r) => matched(r) && this.check(r, op, value) };
    const indexed = this.column(`EXISTS (SELECT 1 FROM "BlobText" t WHERE t."hash" = m."blobHash" AND t."pending" = ${this.p(false)})`);
    return { js: async (r) => (indexed(r) ? matched(r) && (decided || this.check(r, op, value)) : this.check(r, op, value)) };
  }

  /** The substring test itself, on the message's decoded text. */
  private async check(r: RowData, op: "text" | "body", value: string): Promise<boolean> {
    const text = await r.getSearchable(op === "text");
    return text !== null && fold(text).includes(fold(value));
  }
}


const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

/** The calendar day a Date header names (RFC 5322 3.3 date-time, as written), YYYY-MM-DD; null when unreadable. */
export function headerDay(value: string): string | null {
  const m = /(\d{1,2})\s+([a-z]{3})[a-z]*\s+(\d{2,4})/i.exec(value);
  if (!m) return null;
  const month = MONTHS.indexOf(m[2].toLowerCase());
  if (month < 0) return null;
  let year = Number(m[3]);
  if (m[3].length === 2) year += year < 50 ? 2000 : 1900; // RFC 5322 4.3 obs-year
  else if (m[3].length === 3) year += 1900;
  return `${String(year).padStart(4, "0")}-${String(month + 1).padStart(2, "0")}-${m[1].padStart(2, "0")}`;
}

/**
 * AND-ed conditions with the column comparisons before those holding a subquery (a
 * stored envelope read per row for from:/to:/cc:): SQLite tests them in the order
 * written and stops at the first false, so `from:x is:unread has:attachment` reads the
 * envelopes of the unread messages with attachments only, not of the whole folder.
 */
export function cheapFirst(conds: string[]): string[] {
  const costly = (c: string) => /\bSELECT\b/.test(c);
  return [...conds.filter((c) => !costly(c)), ...conds.filter(costly)];
}

function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Values of the (unfolded) header fields named `field`. */
function headerValues(header: string, field: string): string[] {
  const out: string[] = [];
  for (const line of header.split(/\r?\n/)) {
    const i = line.indexOf(":");
    if (i > 0 && line.slice(0, i).trim().toLowerCase() === field) out.push(line.slice(i + 1).trim());
  }
  return out;
}

/** Whether the key reads header fields the envelope does not keep (then header bytes are fetched with the batch). */
function usesRawHeader(k: SearchKey): boolean {
  switch (k.op) {
    case "and":
      return k.keys.some(usesRawHeader);
    case "or":
      return usesRawHeader(k.a) || usesRawHeader(k.b);
    case "not":
      return usesRawHeader(k.key);
    case "header":
      return !ENVELOPE_FIELDS[k.field.toLowerCase()];
    default:
      return false;
  }
}

/** Whether a UID set is long enough to be matched as a list (the mailbox's UIDs are needed). */
function manyRanges(k: SearchKey): boolean {
  switch (k.op) {
    case "and":
      return k.keys.some(manyRanges);
    case "or":
      return manyRanges(k.a) || manyRanges(k.b);
    case "not":
      return manyRanges(k.key);
    case "uid":
      return k.uids.length > MAX_OR_RANGES;
    default:
      return false;
  }
}

function uses(k: SearchKey, op: SearchKey["op"]): boolean {
  switch (k.op) {
    case "and":
      return k.keys.some((x) => uses(x, op));
    case "or":
      return uses(k.a, op) || uses(k.b, op);
    case "not":
      return uses(k.key, op);
    default:
      return k.op === op;
  }
}

/** Words of the index listed for one search word at most; a word found in more is not narrowed by the index. */
const MAX_INFIX_TERMS = 2000;

/** SQLite: for the first word of each TEXT/BODY string, the index's words that hold it ("SearchTerm"). */
async function infixTerms(db: Reader, key: SearchKey): Promise<Map<string, string[] | undefined>> {
  const out = new Map<string, string[] | undefined>();
  const visit = async (k: SearchKey): Promise<void> => {
    if (k.op === "and") for (const x of k.keys) await visit(x);
    else if (k.op === "or") {
      await visit(k.a);
      await visit(k.b);
    } else if (k.op === "not") await visit(k.key);
    else if (k.op === "text" || k.op === "body") {
      const first = [...words(k.value)][0];
      if (!first || out.has(first) || words(k.value.slice(0, 1)).size === 0) return;
      const rows = await db.all<{ term: string }>(`SELECT "term" FROM "SearchTerm" WHERE "term" LIKE $1 ESCAPE '\\' LIMIT ${MAX_INFIX_TERMS + 1}`, [`%${likeEscape(first)}%`]);
      out.set(first, rows.length > MAX_INFIX_TERMS ? undefined : rows.map((r) => r.term));
    }
  };
  await visit(key);
  return out;
}

/** The UIDs of the messages in the account's mailbox that match `key`, ascending (RFC 3501 6.4.4). */
export async function searchMessages(store: MailStore, accountId: string, mailboxId: string, key: SearchKey): Promise<number[]> {
  const db = reader(store);
  const scope = `m."accountId" = $1 AND m."mailboxId" = $2`;
  const uidsBySeq = uses(key, "seq") || manyRanges(key)
    ? (await db.all<{ uid: number }>(`SELECT m."uid" FROM "Message" m WHERE ${scope} ORDER BY m."uid"`, [accountId, mailboxId])).map((r) => Number(r.uid))
    : null;
  // Blobs whose words are pending (search-index.ts) are scanned; there are none once the
  // sweeper has indexed the blobs stored before the index (both checks use the partial index).
  let unindexed = false;
  if (uses(key, "text") || uses(key, "body")) {
    // A literal, not a parameter: SQLite matches a partial index's WHERE only against
    // constants; CROSS JOIN makes SQLite start from the (few) pending entries.
    const pending = db.dialect === "sqlite" ? `t."pending" = 1` : `t."pending"`;
    const row = await db.all<{ x: number }>(`SELECT 1 AS "x" FROM "BlobText" t CROSS JOIN "Message" m WHERE m."blobHash" = t."hash" AND ${pending} AND ${scope} LIMIT 1`, [
      accountId,
      mailboxId,
    ]);
    unindexed = row.length > 0;
  }
  const c = new Compiler(db.dialect, uidsBySeq, unindexed, db.dialect === "sqlite" ? await infixTerms(db, key) : undefined);
  c.params.push(accountId, mailboxId);
  // The conditions SQL can decide go in WHERE; the rest is tested on the rows they leave.
  const top = key.op === "and" ? key.keys.map((k) => c.compile(k)) : [c.compile(key)];
  const where = cheapFirst(top.filter((n): n is { sql: string } => "sql" in n).map((n) => n.sql));
  const tests = top.filter((n): n is { js: Eval } => "js" in n).map((n) => n.js);
  const cols = [`m."uid"`, `m."blobHash"`, ...c.columns];
  const rows = await db.all<Row>(`SELECT ${cols.join(", ")} FROM "Message" m WHERE ${[scope, ...where].join(" AND ")} ORDER BY m."uid"`, c.params);
  if (tests.length === 0) return rows.map((r) => Number(r.uid));
  const needsHeader = usesRawHeader(key);
  // Batch-read structures when most candidates need theirs; SENT* near a day boundary reads a few alone.
  const prefetch = needsHeader || unindexed || uses(key, "bcc") || uses(key, "header") || uses(key, "filename");
  const out: number[] = [];
  for (let i = 0; i < rows.length; i += BATCH) {
    const batch = rows.slice(i, i + BATCH);
    const structures = new Map<string, { structure: string | null; head: Uint8Array | null }>();
    if (prefetch) {
      // The header section only (its length is in the stored structure), not the whole message.
      const head = !needsHeader
        ? "NULL"
        : db.dialect === "sqlite"
          ? `substr("data", 1, COALESCE(json_extract("structure", '$.structure.bodyStart'), ${HEAD_PREFETCH}))`
          : `substring("data" from 1 for COALESCE(("structure"::json->'structure'->>'bodyStart')::integer, ${HEAD_PREFETCH}))`;
      const found = await db.all<{ hash: string; structure: string | null; head: Uint8Array | null }>(
        `SELECT "hash", "structure", ${head} AS "head" FROM "Blob" WHERE "hash" IN (${batch.map((_, j) => `$${j + 1}`).join(", ")})`,
        batch.map((r) => r.blobHash),
      );
      for (const b of found) structures.set(b.hash, { structure: b.structure, head: b.head });
    }
    for (const row of batch) {
      const r = new RowData(store, row, structures);
      let ok = true;
      for (const t of tests) if (!(ok = await t(r))) break;
      if (ok) out.push(Number(row.uid));
    }
  }
  return out;
}
