/**
 * SORT and THREAD (RFC 5256), UID SORT / UID THREAD, SORT=DISPLAY (RFC 5957) and ESORT
 * (RFC 5267 SORT RETURN): the
 * search keys are SEARCH's; the messages found are ordered from stored columns and the
 * stored envelope (addresses as FETCH ENVELOPE shows them), never by parsing a message.
 */
import { searchMessages } from "../../../lib/store/search";
import { orderedSequenceSet } from "../../../lib/store/sequence-set";
import { readStructure } from "../../../lib/store/parse";
import { baseSubject, compareKey } from "../../../lib/mime/base-subject";
import { decodeHeaderValue } from "../../../lib/mime/search-text";
import { atom, list, ParseError } from "../parser/tokens";
import { bad, type Session } from "../session";
import { addressList } from "../../../lib/imap/structure";
import { checkCharset, parseReturn, parseSearch } from "./search";
import { esearchHead } from "../search-context";
import { SELECTED, type CommandSpec } from "./types";
import { orderedSubject, referencesThreads, renderThreads, type ThreadInput } from "../thread";

const CRITERIA = new Set(["ARRIVAL", "CC", "DATE", "FROM", "SIZE", "SUBJECT", "TO", "DISPLAYFROM", "DISPLAYTO"]);
const ADDRESS_CRITERIA = new Set(["CC", "FROM", "TO", "DISPLAYFROM", "DISPLAYTO"]);

interface Criterion {
  key: string;
  reverse: boolean;
}

interface Row {
  uid: number;
  size: number;
  internalDate: Date;
  sentDate: Date | null;
  subject: string;
  messageIdHeader: string;
  inReplyTo: string;
  references: string;
  blob?: { structure: string | null };
}

/** The found messages of the selected mailbox with what ordering needs, in message-number order. */
async function found(s: Session, tokens: Parameters<typeof parseSearch>[1], withEnvelope: boolean): Promise<Array<Row & { seq: number }>> {
  const sel = s.selected!;
  const key = parseSearch(s, tokens);
  const uids = new Set(await searchMessages(s.ctx.store, s.account!.id, sel.id, key));
  const rows = await s.ctx.db.message.findMany({
    where: { mailboxId: sel.id, accountId: s.account!.id },
    orderBy: { uid: "asc" },
    select: { uid: true, size: true, internalDate: true, sentDate: true, subject: true, messageIdHeader: true, inReplyTo: true, references: true, ...(withEnvelope ? { blob: { select: { structure: true } } } : {}) },
  });
  const out: Array<Row & { seq: number }> = [];
  for (const r of rows as Row[]) {
    const seq = uids.has(r.uid) ? s.seqOf(r.uid) : 0;
    if (seq) out.push({ ...r, seq });
  }
  return out;
}

function addressKey(row: Row, criterion: string): string {
  const env = readStructure(row.blob?.structure)?.envelope;
  const field = criterion === "CC" ? env?.cc : criterion === "TO" || criterion === "DISPLAYTO" ? env?.to : env?.from;
  const l = addressList(field ?? null) as Array<Array<string | null>> | null;
  const a = l?.[0];
  if (!a) return "";
  if (criterion.startsWith("DISPLAY")) {
    // RFC 5957 3: the display name, decoded, or without one the addr-spec.
    const name = a[0] ? decodeHeaderValue(a[0]).trim() : "";
    return compareKey(name || (a[3] ? `${a[2] ?? ""}@${a[3]}` : (a[2] ?? "")));
  }
  // RFC 5256 3: the addr-mailbox of the first address.
  return compareKey(a[2] ?? "");
}

function sentMs(r: Row): number {
  return (r.sentDate ?? r.internalDate).getTime();
}

function parseCriteria(t: Parameters<typeof list>[0]): Criterion[] {
  const items = list(t, "sort criteria").map((x) => atom(x, "sort criterion").toUpperCase());
  if (items.length === 0) throw new ParseError("SORT needs at least one criterion");
  const out: Criterion[] = [];
  for (let i = 0; i < items.length; i++) {
    const reverse = items[i] === "REVERSE";
    if (reverse) i++;
    const key = items[i];
    if (!key || !CRITERIA.has(key)) throw bad(`unknown sort criterion ${(key ?? "").slice(0, 40)}: use ${[...CRITERIA].join(" ")}`);
    out.push({ key, reverse });
  }
  return out;
}

export const SORT: CommandSpec = {
  states: SELECTED,
  async run(s, cmd, byUid) {
    // RFC 5267 3.2 ESORT: RETURN (MIN MAX COUNT ALL) of the sorted result.
    const { ret, rest: args } = parseReturn(cmd.args);
    if (args.length < 3) throw new ParseError("SORT (criteria) charset search-keys");
    const criteria = parseCriteria(args[0]);
    checkCharset(args[1]);
    const rows = await found(s, args.slice(2), criteria.some((c) => ADDRESS_CRITERIA.has(c.key)));
    const keys = rows.map((r) =>
      criteria.map((c): string | number => {
        switch (c.key) {
          case "ARRIVAL": return r.internalDate.getTime();
          case "DATE": return sentMs(r);
          case "SIZE": return r.size;
          case "SUBJECT": return compareKey(baseSubject(r.subject).base);
          default: return addressKey(r, c.key);
        }
      }),
    );
    const order = rows.map((_, i) => i);
    order.sort((x, y) => {
      for (let k = 0; k < criteria.length; k++) {
        const a = keys[x][k];
        const b = keys[y][k];
        const d = a < b ? -1 : a > b ? 1 : 0;
        if (d) return criteria[k].reverse ? -d : d;
      }
      // RFC 5256 3: equal on every criterion, by message number.
      return rows[x].seq - rows[y].seq;
    });
    const ids = order.map((i) => (byUid ? rows[i].uid : rows[i].seq));
    if (!ret) {
      await s.untagged(`SORT${ids.length ? " " + ids.join(" ") : ""}`);
      return;
    }
    let line = esearchHead(cmd.tag, byUid);
    if (ids.length) {
      // MIN and MAX are the first and last in sort order; ALL keeps the order (ranges only where ascending).
      if (ret.has("MIN")) line += ` MIN ${ids[0]}`;
      if (ret.has("MAX")) line += ` MAX ${ids[ids.length - 1]}`;
      if (ret.has("ALL")) line += ` ALL ${orderedSequenceSet(ids)}`;
    }
    if (ret.has("COUNT")) line += ` COUNT ${ids.length}`;
    await s.untagged(line);
  },
};

export const THREAD: CommandSpec = {
  states: SELECTED,
  async run(s, cmd, byUid) {
    if (cmd.args.length < 3) throw new ParseError("THREAD algorithm charset search-keys");
    const algorithm = atom(cmd.args[0], "thread algorithm").toUpperCase();
    if (algorithm !== "REFERENCES" && algorithm !== "ORDEREDSUBJECT") throw bad(`unknown thread algorithm ${algorithm.slice(0, 40)}: use REFERENCES or ORDEREDSUBJECT`);
    checkCharset(cmd.args[1]);
    const rows = await found(s, cmd.args.slice(2), false);
    const msgs: ThreadInput[] = rows.map((r) => ({
      id: byUid ? r.uid : r.seq,
      seq: r.seq,
      date: sentMs(r),
      subject: r.subject,
      messageId: r.messageIdHeader,
      inReplyTo: r.inReplyTo,
      references: r.references.split(/\s+/).filter(Boolean),
    }));
    const roots = algorithm === "REFERENCES" ? referencesThreads(msgs) : orderedSubject(msgs);
    await s.untagged(`THREAD${roots.length ? " " + renderThreads(roots) : ""}`);
  },
};
