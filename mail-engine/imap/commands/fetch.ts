/**
 * FETCH and UID FETCH (RFC 3501 6.4.5, 7.4.2; RFC 3516 BINARY; RFC 7162 MODSEQ).
 * ENVELOPE and BODYSTRUCTURE are the text the store rendered at delivery
 * (lib/store/imap-cache.ts), read with the message rows; BODY (non-extended) and a blob
 * without a rendering are rendered from the stored structure. Body sections are byte
 * ranges of the stored blob (sectionRange): a small message's bytes come with its row,
 * larger ones are read in chunks written as the socket drains, so a big message never
 * sits whole in memory. BODY[...] and RFC822(.TEXT) set \Seen unless PEEK or the
 * mailbox is read-only.
 *
 * A FETCH of many messages without body sections (a client's first look at a folder)
 * builds each response line synchronously and writes them in large pieces: no promise
 * and no socket write per message.
 */
import { sectionRange, partAt } from "../../../lib/mime/structure";
import { decodeBody } from "../../../lib/mime/part-body";
import { bodyStructure, renderForImap, valueText, type ImapRendering } from "../../../lib/imap/structure";
import { readStructure, type StoredStructure } from "../../../lib/store/parse";
import { blobRange, fetchRowsAndModSeq, structuresOf, type FetchOptions, type FetchRow, type RowSet } from "../../../lib/store/fetch-rows";
import { atom, list, ParseError } from "../parser/tokens";
import { flagList } from "../encode";
import { filterHeader, internalDate } from "../render";
import { bad, no, type Session } from "../session";
import { parseSequenceSet } from "../parser/sequence";
import { vanishedSince } from "../qresync";
import { MACROS, parseItem, type Item } from "./fetch-items";
import { SELECTED, type CommandSpec } from "./types";

/** Bodies above this are read and written in pieces of this size. */
const CHUNK = 256 * 1024;
/** Rows read per query: many when only the rows are needed, fewer when they bring the messages' bytes. */
const BATCH = 1000;
const BATCH_WITH_BYTES = 50;
/** Responses are written once this much has been built, so a large FETCH makes few writes. */
const FLUSH_AT = 256 * 1024;

/** FETCH responses collected for one socket write (each write is a system call). */
class Output {
  private parts: Array<string | Buffer> = [];
  private size = 0;
  constructor(private readonly s: Session) {}

  get full(): boolean {
    return this.size >= FLUSH_AT;
  }

  push(parts: Array<string | Buffer>): void {
    for (const p of parts) {
      this.parts.push(p);
      this.size += p.length;
    }
  }

  line(text: string): void {
    this.parts.push(text);
    this.size += text.length;
  }

  async flush(): Promise<void> {
    if (this.parts.length === 0) return;
    const parts = this.parts;
    this.parts = [];
    this.size = 0;
    await this.s.send(parts);
  }

  /** The last responses go out with what the session writes next (the tagged OK). */
  finish(): void {
    this.s.hold(this.parts);
    this.parts = [];
    this.size = 0;
  }
}

/** What one message's response is built from, beyond its row: its stored structure, read on demand. */
class Message {
  private stored: StoredStructure | null | undefined;
  private rendering: ImapRendering | null = null;

  constructor(
    readonly row: FetchRow,
    private readonly structureJson: string | null | undefined,
    private readonly fills: Map<string, { hash: string } & ImapRendering>,
  ) {}

  structure(): StoredStructure {
    if (this.stored === undefined) this.stored = readStructure(this.structureJson);
    if (!this.stored) throw no(`message UID ${this.row.uid} has no stored structure; it cannot be shown`, "SERVERBUG");
    return this.stored;
  }

  /** ENVELOPE and BODYSTRUCTURE: as stored, or rendered now (and stored after the FETCH). */
  imap(): ImapRendering {
    const r = this.row;
    if (r.envelope != null && r.bodyStructure != null) return { envelope: r.envelope, bodyStructure: r.bodyStructure };
    if (!this.rendering) {
      this.rendering = renderForImap(this.structure());
      this.fills.set(r.blobHash, { hash: r.blobHash, ...this.rendering });
    }
    return this.rendering;
  }
}

/** What the items need read besides the rows. */
function planFor(items: Item[]): { rows: FetchOptions; imap: boolean; structure: boolean; bytes: boolean; simple: boolean } {
  const has = (kind: Item["kind"]) => items.some((i) => i.kind === kind);
  const sections = items.filter((i) => i.kind === "SECTION" || i.kind === "BINARY.SIZE");
  const imap = has("ENVELOPE") || has("BODYSTRUCTURE");
  // Only BODY[] / RFC822 of the whole message needs no structure.
  const structure = has("BODY") || sections.some((i) => i.section !== "" || i.binary || i.kind === "BINARY.SIZE");
  const bytes = has("SECTION");
  return {
    rows: { imap, internalDate: has("INTERNALDATE"), modSeq: has("MODSEQ"), hash: structure || bytes, bytesUpTo: bytes ? CHUNK : 0 },
    imap,
    structure,
    bytes,
    simple: sections.length === 0,
  };
}

/** The UIDs in batches; a batch that is a run of the view's UIDs is read as a UID range (no list of thousands). */
function* batches(s: Session, uids: number[], size: number): Generator<RowSet> {
  for (let i = 0; i < uids.length; i += size) {
    const batch = uids.slice(i, i + size);
    const first = batch[0];
    const last = batch[batch.length - 1];
    yield s.seqOf(last) - s.seqOf(first) === batch.length - 1 ? { from: first, to: last } : batch;
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
    else if (spec.type === "list") items = spec.items.map(parseItem);
    else items = [parseItem(spec)];
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
    const plan = planFor(items);
    const setsSeen = !sel.readOnly && items.some((i) => i.kind === "SECTION" && !i.peek);
    const showsFlags = setsSeen || items.some((i) => i.kind === "FLAGS");
    const store = s.ctx.store;
    const output = new Output(s);
    const fills = new Map<string, { hash: string } & ImapRendering>();
    try {
      for (const batch of batches(s, uids, plan.bytes ? BATCH_WITH_BYTES : BATCH)) {
        const { rows, highestModSeq } = await fetchRowsAndModSeq(store, s.account!.id, sel.id, batch, plan.rows);
        const list = changedSince === null ? rows : rows.filter((r) => r.modSeq > changedSince!);
        // RFC 3501 7.2.6: a keyword another session just set is in FLAGS before a FETCH shows it.
        if (showsFlags) await s.announceKeywords(list.flatMap((r) => (r.keywords ? r.keywords.split(" ") : [])));
        let newlySeen = new Set<number>();
        let seenModSeq: string | null = null;
        if (setsSeen) {
          const unseen = list.filter((r) => !r.seen).map((r) => r.uid);
          if (unseen.length) {
            const r = await store.setFlags({ accountId: s.account!.id, mailboxId: sel.id, uids: unseen, mode: "add", flags: ["seen"] });
            newlySeen = new Set(r.changed.map((c) => c.uid));
            for (const row of list) if (newlySeen.has(row.uid)) row.seen = true;
            seenModSeq = r.modSeq;
          }
        }
        // Stored structures, for the messages that need theirs (all of them, or those not rendered yet).
        const needing = plan.structure ? list : plan.imap ? list.filter((r) => r.envelope == null || r.bodyStructure == null) : [];
        const structures = needing.length ? await structuresOf(store, [...new Set(needing.map((r) => r.blobHash))]) : null;
        for (const row of list) {
          const n = s.seqOf(row.uid);
          if (!n) continue;
          const m = new Message(row, structures?.get(row.blobHash), fills);
          if (plan.simple) output.line(plainResponse(s, n, m, items, newlySeen.has(row.uid)));
          else output.push(await fullResponse(s, n, m, items, newlySeen.has(row.uid), output));
          if (output.full) await output.flush();
        }
        // Every message of the batch now shows its \Seen: the view need not read the change back.
        s.ownChange(seenModSeq);
        // A FETCH that wrote nothing read the mailbox's HIGHESTMODSEQ with its rows: the check after the command can use it.
        if (!setsSeen) s.sawModSeq(highestModSeq);
      }
    } finally {
      // What was built is sent even when a message fails (its NO follows the others' responses).
      output.finish();
      if (fills.size) void store.fillImapCache([...fills.values()]).catch((err) => s.log.warn("imap.cache_fill_failed", { cid: s.cid, err }));
    }
  },
};

/** The text of an item that needs no body bytes, without its leading space. */
function plainItem(s: Session, m: Message, it: Item, flags: string): string {
  const row = m.row;
  switch (it.kind) {
    case "UID":
      return `UID ${row.uid}`;
    case "FLAGS":
      return `FLAGS ${s.flagsOut(row.uid, flags)}`;
    case "INTERNALDATE":
      return `INTERNALDATE "${internalDate(row.internalDate)}"`;
    case "RFC822.SIZE":
      return `RFC822.SIZE ${row.size}`;
    case "MODSEQ":
      return `MODSEQ (${row.modSeq})`;
    case "ENVELOPE":
      return `ENVELOPE ${m.imap().envelope}`;
    case "BODYSTRUCTURE":
      return `BODYSTRUCTURE ${m.imap().bodyStructure}`;
    case "BODY":
      return `BODY ${valueText(bodyStructure(m.structure().structure, false))}`;
    default:
      throw new Error(`${it.kind} needs the message's bytes`);
  }
}

/** RFC 3501 6.4.5: \Seen set by this FETCH is told with the response; the flags told are remembered. */
function finish(s: Session, row: FetchRow, flags: string, flagsSent: boolean, seenChanged: boolean): string {
  if (seenChanged || flagsSent) s.selected?.flags.set(row.uid, flags);
  return seenChanged && !flagsSent ? ` FLAGS ${flags})\r\n` : ")\r\n";
}

/** One response line of items that need no body bytes. */
function plainResponse(s: Session, n: number, m: Message, items: Item[], seenChanged: boolean): string {
  const flags = flagList(m.row);
  let line = `* ${n} FETCH (`;
  let flagsSent = false;
  for (let i = 0; i < items.length; i++) {
    if (i) line += " ";
    line += plainItem(s, m, items[i], flags);
    if (items[i].kind === "FLAGS") flagsSent = true;
  }
  return line + finish(s, m.row, flags, flagsSent, seenChanged);
}

/** One response with body sections: their bytes read from the row or the blob store. */
async function fullResponse(s: Session, n: number, m: Message, items: Item[], seenChanged: boolean, output: Output): Promise<Array<string | Buffer>> {
  const row = m.row;
  const flags = flagList(row);
  const out: Array<string | Buffer> = [`* ${n} FETCH (`];
  let flagsSent = false;
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    if (i) out.push(" ");
    if (it.kind === "SECTION") await section(s, m, it, out, output);
    else if (it.kind === "BINARY.SIZE") out.push(`BINARY.SIZE[${it.section}] ${await binarySize(s, m, it.section!)}`);
    else {
      out.push(plainItem(s, m, it, flags));
      if (it.kind === "FLAGS") flagsSent = true;
    }
  }
  out.push(finish(s, row, flags, flagsSent, seenChanged));
  return out;
}

/** Bytes [start, end) of the message: from its row when they came with it, else from the blob store. */
function bytes(s: Session, row: FetchRow, start: number, end: number): Promise<Buffer> {
  if (row.data) return Promise.resolve(row.data.subarray(start, end));
  const files = s.ctx.store.blobs.files;
  if (row.inFile && files) return files.getRange(row.blobHash, start, end);
  return blobRange(s.ctx.store, row.blobHash, start, end);
}

/**
 * The size of what BINARY[section] returns (RFC 3516 4.3): the whole message, a
 * multipart or an embedded message as stored; a leaf part decoded.
 */
async function binarySize(s: Session, m: Message, sec: string): Promise<number> {
  if (sec === "") return m.row.size;
  const part = partAt(m.structure().structure, sec);
  if (!part) throw no(`no part ${sec} in message UID ${m.row.uid}`);
  if (part.type === "multipart" || part.message) return part.bodyEnd - part.bodyStart;
  const decoded = decodeBody(await bytes(s, m.row, part.bodyStart, part.bodyEnd), part.encoding);
  if (!decoded) throw no(`part ${sec} has an unknown transfer encoding`, "UNKNOWN-CTE");
  return decoded.length;
}

async function section(s: Session, m: Message, it: Item, out: Array<string | Buffer>, output: Output): Promise<void> {
  const row = m.row;
  const sec = it.section!;
  const origin = it.partial ? `<${it.partial[0]}>` : "";
  const label = it.label ?? `${it.binary ? "BINARY" : "BODY"}[${sec}${it.fields ? ` (${it.fields.join(" ")})` : ""}]${origin}`;
  let range: { start: number; end: number } | null;
  if (sec === "" && !it.binary) range = { start: 0, end: row.size };
  else range = sectionRange(m.structure().structure, sec);
  if (!range) {
    // RFC 3501 6.4.5: a section that names nothing is empty, not an error.
    out.push(`${label} ""`);
    return;
  }
  let content: Buffer | null = null;
  if (it.fields) content = filterHeader(await bytes(s, row, range.start, range.end), it.fields, !!it.not);
  else if (it.binary && sec !== "") {
    const part = partAt(m.structure().structure, sec)!;
    if (part.type === "multipart" || part.message) content = await bytes(s, row, range.start, range.end);
    else {
      content = decodeBody(await bytes(s, row, range.start, range.end), part.encoding);
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
    const b = await bytes(s, row, start, end);
    if (b.includes(0)) {
      const part = sec && sec !== "TEXT" && /^[\d.]+$/.test(sec) ? partAt(m.structure().structure, sec) : null;
      content = part && part.type !== "multipart" && !part.message && !it.partial ? Buffer.from(b.toString("base64").replace(/.{76}/g, "$&\r\n") + "\r\n") : withoutNul(b);
    } else content = b;
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
    out.push(await bytes(s, row, start, end));
    return;
  }
  // Large: write what is built (earlier messages' responses first), then stream the body in pieces.
  await output.flush();
  await s.send(out.splice(0, out.length));
  for (let off = start; off < end; off += CHUNK) {
    const piece = await bytes(s, row, off, Math.min(end, off + CHUNK));
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
