/**
 * FETCH and UID FETCH (RFC 3501 6.4.5, 7.4.2; RFC 3516 BINARY; RFC 7162 MODSEQ).
 * ENVELOPE and BODYSTRUCTURE come from the stored structure; body sections are byte
 * ranges of the stored blob (sectionRange) read with blobRange, large ones in
 * chunks written as the socket drains, so a big message never sits whole in memory.
 * BODY[...] and RFC822(.TEXT) set \Seen unless PEEK or the mailbox is read-only.
 */
import { sectionRange, partAt } from "../../../lib/mime/structure";
import { decodeBody } from "../../../lib/mime/part-body";
import { readStructure, type StoredStructure } from "../../../lib/store/parse";
import { blobRange, fetchRows, type FetchRow } from "../../../lib/store/fetch-rows";
import { atom, list, ParseError, type Token } from "../parser/tokens";
import { encode, flagList } from "../encode";
import { bodyStructure, envelope, filterHeader, internalDate } from "../render";
import { bad, no, type Session } from "../session";
import { parseSequenceSet } from "../parser/sequence";
import { vanishedSince } from "../qresync";
import { SELECTED, type CommandSpec } from "./types";

interface Item {
  kind: "FLAGS" | "UID" | "INTERNALDATE" | "RFC822.SIZE" | "ENVELOPE" | "BODYSTRUCTURE" | "BODY" | "MODSEQ" | "SECTION" | "BINARY.SIZE";
  /** SECTION: BODY / BINARY, the section text, header names, partial, peek. */
  binary?: boolean;
  section?: string;
  fields?: string[];
  not?: boolean;
  partial?: [number, number | null];
  peek?: boolean;
  /** The name in the response (RFC822 forms answer as themselves). */
  label?: string;
}

const MACROS: Record<string, string[]> = {
  ALL: ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"],
  FAST: ["FLAGS", "INTERNALDATE", "RFC822.SIZE"],
  FULL: ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"],
};

/** One fetch attribute (RFC 3501 6.4.5); also NOTIFY's MessageNew attributes (RFC 5465 5.2). */
export function parseFetchItem(t: Token): Item {
  if (t.type !== "atom") throw new ParseError("fetch items are atoms");
  const name = t.value.toUpperCase();
  if (t.section !== undefined) {
    const binary = name === "BINARY" || name === "BINARY.PEEK" || name === "BINARY.SIZE";
    if (!binary && name !== "BODY" && name !== "BODY.PEEK") throw new ParseError(`${name.slice(0, 40)}[...] is not a fetch item`);
    const sec = t.section;
    let section = "";
    let fields: string[] | undefined;
    let not = false;
    if (sec.length) {
      section = atom(sec[0], "section").toUpperCase();
      if (/(^|\.)HEADER\.FIELDS(\.NOT)?$/.test(section)) {
        if (sec.length !== 2 || sec[1].type !== "list" || sec[1].items.length === 0) throw new ParseError("HEADER.FIELDS needs a list of field names");
        fields = sec[1].items.map((x) => (x.type === "string" ? x.value.toString("latin1") : atom(x, "field name")).toUpperCase());
        not = section.endsWith(".NOT");
      } else if (sec.length !== 1) throw new ParseError("bad section");
      if (!/^(\d+(\.\d+)*)?(\.?(HEADER|HEADER\.FIELDS|HEADER\.FIELDS\.NOT|TEXT|MIME))?$/.test(section) || section.startsWith(".")) throw new ParseError(`bad section ${section.slice(0, 40)}`);
      if (binary && !/^(\d+(\.\d+)*)?$/.test(section)) throw new ParseError("BINARY takes part numbers only (RFC 3516)");
      if (section === "MIME") throw new ParseError("MIME needs a part number");
    }
    if (name === "BINARY.SIZE") {
      if (t.partial) throw new ParseError("BINARY.SIZE takes no partial");
      return { kind: "BINARY.SIZE", section };
    }
    if (t.partial && t.partial[1] === 0) throw new ParseError("a partial of 0 octets");
    return { kind: "SECTION", binary, section, fields, not, partial: t.partial, peek: name.endsWith(".PEEK") };
  }
  switch (name) {
    case "FLAGS":
    case "UID":
    case "INTERNALDATE":
    case "RFC822.SIZE":
    case "ENVELOPE":
    case "BODYSTRUCTURE":
    case "BODY":
    case "MODSEQ":
      return { kind: name };
    case "RFC822":
      return { kind: "SECTION", section: "", label: "RFC822" };
    case "RFC822.HEADER":
      return { kind: "SECTION", section: "HEADER", peek: true, label: "RFC822.HEADER" };
    case "RFC822.TEXT":
      return { kind: "SECTION", section: "TEXT", label: "RFC822.TEXT" };
    default:
      throw new ParseError(`unknown fetch item ${name.slice(0, 40)}`);
  }
}

type Row = FetchRow;

/** Bodies above this are read and written in pieces of this size. */
const CHUNK = 256 * 1024;
const BATCH = 200;
/** Responses are written once this much has been built, so a large FETCH makes few writes. */
const FLUSH_AT = 64 * 1024;

/** FETCH responses collected for one socket write (each write is a system call). */
class Output {
  private parts: Array<string | Buffer> = [];
  private size = 0;
  constructor(private readonly s: Session) {}

  async add(parts: Array<string | Buffer>): Promise<void> {
    for (const p of parts) {
      this.parts.push(p);
      this.size += p.length;
    }
    if (this.size >= FLUSH_AT) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.parts.length === 0) return;
    const parts = this.parts;
    this.parts = [];
    this.size = 0;
    await this.s.send(parts);
  }
}

export const FETCH: CommandSpec = {
  states: SELECTED,
  async run(s, cmd, byUid) {
    const set = atom(cmd.args[0], "sequence set");
    const spec = cmd.args[1];
    if (!spec) throw new ParseError("FETCH needs items");
    let changedSince: bigint | null = null;
    let vanished = false;
    if (cmd.args.length > 2) {
      // RFC 7162 3.1.4: (CHANGEDSINCE n) returns only messages changed after n, with MODSEQ; it enables CONDSTORE.
      // 3.2.6: UID FETCH ... (CHANGEDSINCE n VANISHED) also reports the UIDs of the set expunged since n.
      const mods = list(cmd.args[2], "fetch modifiers").map((t) => atom(t, "modifier"));
      const names = mods.filter((_, i) => i !== 1).map((m) => m.toUpperCase());
      if (cmd.args.length > 3 || mods.length < 2 || names[0] !== "CHANGEDSINCE" || names.slice(1).some((n) => n !== "VANISHED") || names.length > 2) throw new ParseError("FETCH modifiers are (CHANGEDSINCE n) and (CHANGEDSINCE n VANISHED)");
      if (!/^\d{1,19}$/.test(mods[1])) throw new ParseError("CHANGEDSINCE needs a number");
      changedSince = BigInt(mods[1]);
      vanished = names.length === 2;
      if (vanished && (!byUid || !s.enabled.has("QRESYNC"))) throw bad("VANISHED is for UID FETCH with QRESYNC enabled (RFC 7162 3.2.6)");
    }
    let items: Item[];
    if (spec.type === "atom" && MACROS[spec.value.toUpperCase()] && !spec.section) items = MACROS[spec.value.toUpperCase()].map((n) => ({ kind: n as Item["kind"] }));
    else if (spec.type === "list") items = spec.items.map(parseFetchItem);
    else items = [parseFetchItem(spec)];
    if (items.length === 0) throw new ParseError("FETCH needs items");
    if (byUid && !items.some((i) => i.kind === "UID")) items.unshift({ kind: "UID" });
    if (changedSince !== null && !items.some((i) => i.kind === "MODSEQ")) items.push({ kind: "MODSEQ" });
    if (items.some((i) => i.kind === "MODSEQ")) await s.enableCondstore();
    const sel = s.selected!;
    if (vanished) {
      const gone = await vanishedSince(s, sel.id, changedSince!, parseSequenceSet(set, sel.uids.length ? sel.uids[sel.uids.length - 1] : 0));
      if (gone) await s.untagged(`VANISHED (EARLIER) ${gone}`);
    }
    const uids = s.resolveSet(set, byUid);
    if (uids.length === 0) return;
    const needStructure = items.some((i) => ["ENVELOPE", "BODYSTRUCTURE", "BODY", "SECTION", "BINARY.SIZE"].includes(i.kind));
    const setsSeen = !sel.readOnly && items.some((i) => i.kind === "SECTION" && !i.peek);
    const showsFlags = setsSeen || items.some((i) => i.kind === "FLAGS");
    const output = new Output(s);
    try {
      for (let i = 0; i < uids.length; i += BATCH) {
        const batch = uids.slice(i, i + BATCH);
        const rows = await fetchRows(s.ctx.store, s.account!.id, sel.id, batch, needStructure);
        const list = rows.filter((r) => changedSince === null || r.modSeq > changedSince);
        // RFC 3501 7.2.6: a keyword another session just set is in FLAGS before a FETCH shows it.
        if (showsFlags) await s.announceKeywords(list.flatMap((r) => (r.keywords ? r.keywords.split(" ") : [])));
        let newlySeen = new Set<number>();
        if (setsSeen) {
          const unseen = list.filter((r) => !r.seen).map((r) => r.uid);
          if (unseen.length) {
            const r = await s.ctx.store.setFlags({ accountId: s.account!.id, mailboxId: sel.id, uids: unseen, mode: "add", flags: ["seen"] });
            newlySeen = new Set(r.changed.map((c) => c.uid));
            for (const row of list) if (newlySeen.has(row.uid)) row.seen = true;
          }
        }
        for (const row of list) {
          const n = s.seqOf(row.uid);
          if (!n) continue;
          await fetchOne(s, n, row, items, newlySeen.has(row.uid), output);
        }
        await output.flush();
      }
    } finally {
      // What was built is sent even when a message fails (its NO follows the others' responses).
      await output.flush();
    }
  },
};

async function fetchOne(s: Session, n: number, row: Row, items: Item[], seenChanged: boolean, output: Output): Promise<void> {
  const out: Array<string | Buffer> = [`* ${n} FETCH (`];
  let first = true;
  const sep = () => {
    if (!first) out.push(" ");
    first = false;
  };
  let stored: StoredStructure | null | undefined;
  const structure = (): StoredStructure => {
    if (stored === undefined) stored = readStructure(row.structure);
    if (!stored) throw no(`message UID ${row.uid} has no stored structure; it cannot be shown`, "SERVERBUG");
    return stored;
  };
  const flags = flagList(row);
  let flagsSent = false;
  for (const it of items) {
    switch (it.kind) {
      case "UID":
        sep();
        out.push(`UID ${row.uid}`);
        break;
      case "FLAGS":
        sep();
        out.push(`FLAGS ${s.flagsOut(row.uid, flags)}`);
        flagsSent = true;
        break;
      case "INTERNALDATE":
        sep();
        out.push(`INTERNALDATE "${internalDate(row.internalDate)}"`);
        break;
      case "RFC822.SIZE":
        sep();
        out.push(`RFC822.SIZE ${row.size}`);
        break;
      case "MODSEQ":
        sep();
        out.push(`MODSEQ (${row.modSeq})`);
        break;
      case "ENVELOPE":
        sep();
        out.push("ENVELOPE ");
        encode(envelope(structure().envelope), out);
        break;
      case "BODYSTRUCTURE":
      case "BODY":
        sep();
        out.push(`${it.kind} `);
        encode(bodyStructure(structure().structure, it.kind === "BODYSTRUCTURE"), out);
        break;
      case "BINARY.SIZE": {
        // The size of what BINARY[section] returns (RFC 3516 4.3): the whole message, a
        // multipart or an embedded message as stored; a leaf part decoded.
        let size: number;
        if (it.section === "") size = row.size;
        else {
          const part = partAt(structure().structure, it.section!);
          if (!part) throw no(`no part ${it.section} in message UID ${row.uid}`);
          if (part.type === "multipart" || part.message) size = part.bodyEnd - part.bodyStart;
          else {
            const decoded = decodeBody(await blobRange(s.ctx.store, row.blobHash, part.bodyStart, part.bodyEnd), part.encoding);
            if (!decoded) throw no(`part ${it.section} has an unknown transfer encoding`, "UNKNOWN-CTE");
            size = decoded.length;
          }
        }
        sep();
        out.push(`BINARY.SIZE[${it.section}] ${size}`);
        break;
      }
      case "SECTION": {
        sep();
        await section(s, row, it, structure, out, output);
        break;
      }
    }
  }
  // RFC 3501 6.4.5: \Seen set by this FETCH is told with the response.
  if (seenChanged && !flagsSent) {
    sep();
    out.push(`FLAGS ${flags}`);
  }
  if (seenChanged || flagsSent) s.selected?.flags.set(row.uid, flags);
  out.push(")\r\n");
  await output.add(out);
}

async function section(s: Session, row: Row, it: Item, structure: () => StoredStructure, out: Array<string | Buffer>, output: Output): Promise<void> {
  const sec = it.section!;
  const origin = it.partial ? `<${it.partial[0]}>` : "";
  const label = it.label ?? `${it.binary ? "BINARY" : "BODY"}[${sec}${it.fields ? ` (${it.fields.join(" ")})` : ""}]${origin}`;
  let range: { start: number; end: number } | null;
  if (sec === "" && !it.binary) range = { start: 0, end: row.size };
  else range = sectionRange(structure().structure, sec);
  if (!range) {
    // RFC 3501 6.4.5: a section that names nothing is empty, not an error.
    out.push(`${label} ""`);
    return;
  }
  let content: Buffer | null = null;
  if (it.fields) content = filterHeader(await blobRange(s.ctx.store, row.blobHash, range.start, range.end), it.fields, !!it.not);
  else if (it.binary && sec !== "") {
    const part = partAt(structure().structure, sec)!;
    if (part.type === "multipart" || part.message) content = await blobRange(s.ctx.store, row.blobHash, range.start, range.end);
    else {
      content = decodeBody(await blobRange(s.ctx.store, row.blobHash, range.start, range.end), part.encoding);
      if (!content) throw no(`part ${sec} has an unknown transfer encoding`, "UNKNOWN-CTE");
    }
  }
  let start = range.start;
  let end = range.end;
  if (content) {
    start = 0;
    end = content.length;
  }
  if (it.partial) ({ start, end } = partialRange(start, end, it.partial));
  if (!it.binary && !content && end - start <= CHUNK) {
    // RFC 3501 9: a literal holds no NUL (CHAR8). A binary part is shown in base64 (as
    // BINARY would decode it back); NULs anywhere else become spaces.
    const bytes = await blobRange(s.ctx.store, row.blobHash, start, end);
    if (bytes.includes(0)) {
      const part = sec && sec !== "TEXT" && /^[\d.]+$/.test(sec) ? partAt(structure().structure, sec) : null;
      content = part && part.type !== "multipart" && !part.message && !it.partial ? Buffer.from(bytes.toString("base64").replace(/.{76}/g, "$&\r\n") + "\r\n") : withoutNul(bytes);
    } else content = bytes;
    start = 0;
    end = content.length;
  }
  const size = Math.max(0, end - start);
  const binaryLiteral = it.binary && content && content.includes(0) ? "~" : "";
  out.push(`${label} ${binaryLiteral}{${size}}\r\n`);
  if (content) {
    out.push(content.subarray(start, end));
    return;
  }
  if (size <= CHUNK) {
    out.push(await blobRange(s.ctx.store, row.blobHash, start, end));
    return;
  }
  // Large: write what is built (earlier messages' responses first), then stream the body in pieces.
  await output.flush();
  await s.send(out.splice(0, out.length));
  for (let off = start; off < end; off += CHUNK) {
    const piece = await blobRange(s.ctx.store, row.blobHash, off, Math.min(end, off + CHUNK));
    await s.send(it.binary ? piece : withoutNul(piece));
    if (s.isClosed) return;
  }
}

/** RFC 3501 6.4.5 <offset.length> (also RFC 5092's ;PARTIAL=) within start..end: empty past the end, cut at the end. */
export function partialRange(start: number, end: number, [off, len]: [number, number | null]): { start: number; end: number } {
  const from = Math.min(start + off, end);
  return { start: from, end: len === null ? end : Math.min(end, from + len) };
}

/** NUL bytes as spaces: a literal cannot hold them (RFC 3501 9, CHAR8); same length, so sizes told stay true. */
function withoutNul(b: Buffer): Buffer {
  if (!b.includes(0)) return b;
  const c = Buffer.from(b);
  for (let i = c.indexOf(0); i >= 0; i = c.indexOf(0, i + 1)) c[i] = 0x20;
  return c;
}
