/**
 * SEARCH and UID SEARCH (RFC 3501 6.4.4), with ESEARCH's RETURN (RFC 4731) and
 * CONTEXT=SEARCH's UPDATE and PARTIAL (RFC 5267 4.3, 4.4; the contexts are followed by
 * ../search-context.ts), and CANCELUPDATE (4.3.5): the search keys are parsed here into the
 * store's SearchKey tree and evaluated by lib/store/search.ts. Message numbers are
 * turned into UIDs here, against this session's view (its numbers may differ from the
 * database while expunges are untold).
 */
import { searchMessages, type SearchKey } from "../../../lib/store/search";
import { atom, ParseError, str, type Token } from "../parser/tokens";
import { isSequenceSet, parseSequenceSet, type Range } from "../parser/sequence";
import { bad, no, type Session } from "../session";
import { esearchHead, MAX_UPDATE_CONTEXTS } from "../search-context";
import { toSequenceSet } from "../../../lib/store/sequence-set";
import { SELECTED, type CommandSpec } from "./types";

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

/** date = date-day "-" date-month "-" date-year (RFC 3501 9), quoted or not. */
function date(t: Token | undefined): string {
  const v = str(t, "date");
  const m = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})$/.exec(v);
  const mon = m ? MONTHS.indexOf(m[2].toLowerCase()) : -1;
  if (!m || mon < 0 || Number(m[1]) < 1 || Number(m[1]) > 31) throw new ParseError(`bad date ${JSON.stringify(v.slice(0, 40))}: use 1-Feb-2026`);
  return `${m[3]}-${String(mon + 1).padStart(2, "0")}-${m[1].padStart(2, "0")}`;
}

const FLAGS: Record<string, [SearchKey & { op: "flag" }]["0"]["flag"]> = { SEEN: "seen", ANSWERED: "answered", FLAGGED: "flagged", DELETED: "deleted", DRAFT: "draft" };

const MAX_DEPTH = 50;

export function parseSearch(s: Session, tokens: Token[]): SearchKey {
  let i = 0;
  const next = (): Token => {
    if (i >= tokens.length) throw new ParseError("a search key needs an argument");
    return tokens[i++];
  };
  const one = (depth: number): SearchKey => {
    if (depth > MAX_DEPTH) throw new ParseError("search keys nested too deep");
    const t = next();
    if (t.type === "list") {
      const keys = parseList(s, t.items, depth + 1);
      return keys.length === 1 ? keys[0] : { op: "and", keys };
    }
    if (t.type !== "atom" || t.section) throw new ParseError("expected a search key");
    const k = t.value.toUpperCase();
    if (FLAGS[k]) return { op: "flag", flag: FLAGS[k], set: true };
    if (k.startsWith("UN") && FLAGS[k.slice(2)]) return { op: "flag", flag: FLAGS[k.slice(2)], set: false };
    switch (k) {
      case "ALL": return { op: "all" };
      // RFC 3501 6.4.4: NEW is RECENT UNSEEN, OLD is NOT RECENT; \Recent is the session's own.
      case "NEW": return { op: "and", keys: [recentKey(s), { op: "flag", flag: "seen", set: false }] };
      case "OLD": return { op: "not", key: recentKey(s) };
      case "RECENT": return recentKey(s);
      case "NOT": return { op: "not", key: one(depth + 1) };
      case "OR": {
        const a = one(depth + 1);
        return { op: "or", a, b: one(depth + 1) };
      }
      case "FROM": case "TO": case "CC": case "BCC": case "SUBJECT":
        return { op: k.toLowerCase() as "from", value: str(next(), k) };
      case "BODY": case "TEXT":
        return { op: k.toLowerCase() as "body", value: str(next(), k) };
      case "HEADER": {
        const field = str(next(), "header field");
        return { op: "header", field, value: str(next(), "header value") };
      }
      case "KEYWORD": case "UNKEYWORD":
        return { op: "keyword", keyword: atom(next(), "keyword"), set: k === "KEYWORD" };
      case "BEFORE": case "ON": case "SINCE": case "SENTBEFORE": case "SENTON": case "SENTSINCE":
        return { op: k.toLowerCase() as "before", date: date(next()) };
      case "LARGER": case "SMALLER": {
        const v = atom(next(), "size");
        if (!/^\d{1,15}$/.test(v)) throw new ParseError(`${k} needs a number`);
        return { op: k.toLowerCase() as "larger", size: Number(v) };
      }
      case "UID": {
        const sel = s.selected!;
        const largest = sel.uids.length ? sel.uids[sel.uids.length - 1] : 0;
        return { op: "uid", uids: parseSequenceSet(atom(next(), "UID set"), largest) };
      }
      case "MODSEQ": {
        let v = str(next(), "mod-sequence");
        // RFC 7162 3.1.5: an optional entry name and type come first.
        if (!/^\d+$/.test(v)) {
          next();
          v = atom(next(), "mod-sequence");
        }
        if (!/^\d{1,19}$/.test(v)) throw new ParseError("MODSEQ needs a number");
        return { op: "modseq", modseq: v };
      }
      default:
        if (isSequenceSet(t.value)) return { op: "uid", uids: seqToUids(s, parseSequenceSet(t.value, s.selected!.uids.length)) };
        throw new ParseError(`unknown search key ${k.slice(0, 40)}`);
    }
  };
  const keys: SearchKey[] = [];
  while (i < tokens.length) keys.push(one(0));
  if (keys.length === 0) throw new ParseError("SEARCH needs a search key");
  return keys.length === 1 ? keys[0] : { op: "and", keys };
}

function parseList(s: Session, items: Token[], depth: number): SearchKey[] {
  if (depth > MAX_DEPTH) throw new ParseError("search keys nested too deep");
  if (items.length === 0) throw new ParseError("empty search key list");
  const k = parseSearch(s, items);
  return k.op === "and" ? k.keys : [k];
}

/**
 * A leading RETURN (options) (RFC 4731 ESEARCH, RFC 5267 ESORT): MIN, MAX, COUNT, ALL; an
 * empty list means ALL. With `context` (SEARCH under CONTEXT=SEARCH, RFC 5267 4) also
 * CONTEXT (a hint, 4.2), UPDATE (4.3) and PARTIAL first:last (4.4). `ret` is null without
 * RETURN; `rest` is what follows.
 */
export function parseReturn(tokens: Token[], context = false): { ret: Set<string> | null; partial: [number, number] | null; rest: Token[] } {
  if (!(tokens[0]?.type === "atom" && tokens[0].value.toUpperCase() === "RETURN")) return { ret: null, partial: null, rest: tokens };
  const items = tokens[1]?.type === "list" ? tokens[1].items : null;
  if (!items) throw new ParseError("RETURN needs a list of options");
  const opts = new Set<string>();
  let partial: [number, number] | null = null;
  const known = context ? ["MIN", "MAX", "COUNT", "ALL", "CONTEXT", "UPDATE", "PARTIAL"] : ["MIN", "MAX", "COUNT", "ALL"];
  for (let i = 0; i < items.length; i++) {
    const o = atom(items[i], "return option").toUpperCase();
    if (!known.includes(o)) throw new ParseError(`unknown return option ${o.slice(0, 40)}`);
    if (o === "PARTIAL") {
      // RFC 5267 5: partial-range = nz-number ":" nz-number; "500:400" is "400:500"; no "*".
      const m = /^([1-9]\d{0,9}):([1-9]\d{0,9})$/.exec(atom(items[++i], "partial range"));
      if (!m || partial) throw new ParseError("PARTIAL needs one range first:last of numbers from 1");
      const a = Number(m[1]);
      const b = Number(m[2]);
      partial = [Math.min(a, b), Math.max(a, b)];
    }
    opts.add(o);
  }
  // RFC 5267 4.4: one PARTIAL or one ALL, not both.
  if (opts.has("PARTIAL") && opts.has("ALL")) throw new ParseError("RETURN takes PARTIAL or ALL, not both");
  return { ret: new Set(items.length ? opts : ["ALL"]), partial, rest: tokens.slice(2) };
}

/** RFC 3501 6.4.4: an unknown charset is NO [BADCHARSET (supported)]. */
export function checkCharset(t: Token | undefined): void {
  const cs = str(t, "charset").toUpperCase();
  if (cs !== "UTF-8" && cs !== "US-ASCII") throw no(`charset ${cs.slice(0, 40)} is not supported`, "BADCHARSET (UTF-8 US-ASCII)");
}

/** The messages \Recent in this session, as a UID key. */
function recentKey(s: Session): SearchKey {
  return { op: "uid", uids: uidRanges([...s.selected!.recent].sort((a, b) => a - b)) };
}

/** Message numbers as the UIDs they name in this session's view, as ranges. */
function seqToUids(s: Session, ranges: Range[]): Array<[number, number]> {
  const uids = s.selected!.uids;
  const picked: number[] = [];
  for (const [a, b] of ranges) for (let n = Math.max(1, a); n <= Math.min(b, uids.length); n++) picked.push(uids[n - 1]);
  return uidRanges(picked);
}

/** Ascending UIDs as inclusive ranges; none as a range matching nothing. */
function uidRanges(uids: number[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const u of uids) {
    const last = out[out.length - 1];
    if (last && last[1] + 1 === u) last[1] = u;
    else out.push([u, u]);
  }
  return out.length ? out : [[0, 0]];
}

function usesModSeq(k: SearchKey): boolean {
  if (k.op === "modseq") return true;
  if (k.op === "and") return k.keys.some(usesModSeq);
  if (k.op === "or") return usesModSeq(k.a) || usesModSeq(k.b);
  if (k.op === "not") return usesModSeq(k.key);
  return false;
}

export const SEARCH: CommandSpec = {
  states: SELECTED,
  async run(s, cmd, byUid) {
    const r = parseReturn(cmd.args, true);
    let tokens = r.rest;
    let ret = r.ret;
    const sel = s.selected!;
    // RFC 5267 4.3: UPDATE with a tag already updating is BAD.
    if (ret?.has("UPDATE") && sel.contexts?.some((c) => c.tag === cmd.tag)) throw bad(`tag ${cmd.tag.slice(0, 40)} already names a search with UPDATE`);
    if (tokens[0]?.type === "atom" && tokens[0].value.toUpperCase() === "CHARSET") {
      checkCharset(tokens[1]);
      tokens = tokens.slice(2);
    }
    const key = parseSearch(s, tokens);
    const found = await searchMessages(s.ctx.store, s.account!.id, sel.id, key);
    const out: number[] = [];
    for (const u of found) {
      const n = s.seqOf(u);
      if (n) out.push(byUid ? u : n);
    }
    // RFC 7162 3.1.5: a search with MODSEQ answers with the highest MODSEQ of the messages found.
    let modSeq: bigint | null = null;
    if (usesModSeq(key)) await s.enableCondstore();
    if (usesModSeq(key) && found.length) {
      const agg = await s.ctx.db.message.aggregate({ where: { mailboxId: sel.id, accountId: s.account!.id, uid: { in: found.slice(0, 30_000) } }, _max: { modSeq: true } });
      modSeq = agg._max.modSeq;
    }
    const modSeqSuffix = modSeq !== null ? ` (MODSEQ ${modSeq})` : "";
    // RFC 9051 6.4.4: IMAP4rev2 answers every SEARCH with ESEARCH (ALL when no RETURN).
    if (!ret && s.rev2) ret = new Set(["ALL"]);
    if (!ret) {
      await s.untagged(`SEARCH${out.length ? " " + out.join(" ") + modSeqSuffix : ""}`);
      return;
    }
    let line = esearchHead(cmd.tag, byUid);
    if (out.length) {
      if (ret.has("MIN")) line += ` MIN ${Math.min(...out)}`;
      if (ret.has("MAX")) line += ` MAX ${Math.max(...out)}`;
      if (ret.has("ALL")) line += ` ALL ${toSequenceSet(out)}`;
    }
    if (ret.has("COUNT")) line += ` COUNT ${out.length}`;
    if (r.partial) {
      // RFC 5267 4.4: results first..last of the result list in mailbox order (from 1), NIL when none.
      const [a, b] = r.partial;
      const picked = out.slice(a - 1, b);
      line += ` PARTIAL (${a}:${b} ${picked.length ? toSequenceSet(picked) : "NIL"})`;
    }
    // RFC 7162 3.1.5: ESEARCH carries the highest MODSEQ of what it returns: with only MIN
    // and/or MAX, of those messages alone.
    if (modSeq !== null && out.length) {
      if (!ret.has("ALL") && !ret.has("COUNT")) {
        const picked = [ret.has("MIN") ? Math.min(...out) : 0, ret.has("MAX") ? Math.max(...out) : 0].filter(Boolean);
        const uids = picked.map((v) => (byUid ? v : sel.uids[v - 1]));
        const agg = await s.ctx.db.message.aggregate({ where: { mailboxId: sel.id, accountId: s.account!.id, uid: { in: uids } }, _max: { modSeq: true } });
        modSeq = agg._max.modSeq ?? modSeq;
      }
      line += ` MODSEQ ${modSeq}`;
    }
    await s.untagged(line);
    if (ret.has("UPDATE") && s.selected === sel) {
      sel.contexts ??= [];
      // RFC 5267 4.3.1: past the limit the search is answered but not followed.
      if (sel.contexts.length >= MAX_UPDATE_CONTEXTS) await s.untagged(`NO [NOUPDATE ${quoted(cmd.tag)}] too many searches with UPDATE; CANCELUPDATE one`);
      else sel.contexts.push({ tag: cmd.tag, key, byUid, uids: new Set(found.filter((u) => s.seqOf(u) > 0)) });
    }
  },
};

const quoted = (v: string) => `"${v.replace(/[\\"]/g, "\\$&")}"`;

/** CANCELUPDATE (RFC 5267 4.3.5): no more updates for the searches of these tags (RFC 5267 5: quoted tags). */
export const CANCELUPDATE: CommandSpec = {
  states: SELECTED,
  async run(s, cmd) {
    if (cmd.args.length === 0) throw new ParseError("CANCELUPDATE needs the tags of searches");
    const tags = cmd.args.map((t) => {
      if (t.type !== "string") throw new ParseError("CANCELUPDATE takes quoted tags");
      return t.value.toString("latin1");
    });
    const sel = s.selected!;
    if (sel.contexts) sel.contexts = sel.contexts.filter((c) => !tags.includes(c.tag));
  },
};
