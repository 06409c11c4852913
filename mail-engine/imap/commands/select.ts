/**
 * Selecting (RFC 3501 6.3.1, 6.3.2; RFC 9051 6.3.2): SELECT and EXAMINE read the folder's
 * counters and its UID/flag list once, then the view follows the journal. CLOSE
 * (6.4.2: silently expunges when read-write), UNSELECT (RFC 3691), CHECK (6.4.1).
 */
import { atom, list, noMore, number, type Token } from "../parser/tokens";
import { inRanges, parseSequenceSet, type Range } from "../parser/sequence";
import { vanishedSince } from "../qresync";
import { flagList } from "../encode";
import { bad, no, SYSTEM_FLAGS as SYSTEM, type Session } from "../session";
import { flagRows, folderByName, type FlagRow } from "../../../lib/store/fetch-rows";
import { cachedView, rememberView } from "../view-cache";
import { AUTHED, SELECTED, type CommandSpec } from "./types";
import { mailboxArg } from "./mailboxes";


function select(readOnly: boolean): CommandSpec {
  return {
    states: AUTHED,
    async run(s, cmd) {
      noMore(cmd.args, 2);
      const name = mailboxArg(s, cmd.args[0]);
      const qresync = cmd.args[1] ? selectParams(s, list(cmd.args[1], "select parameters")) : null;
      // RFC 7162 3.2.11: with QRESYNC the end of the previous selection is said (before anything about the new one).
      // RFC 9051 7.1: IMAP4rev2 always says it.
      if (s.selected && (s.enabled.has("QRESYNC") || s.rev2)) await s.untagged("OK [CLOSED] previous mailbox closed");
      // RFC 3501 6.3.1: a failed SELECT leaves no mailbox selected.
      s.selected = null;
      s.state = "authenticated";
      const accountId = s.account!.id;
      const mb = await folderByName(s.ctx.store, accountId, name);
      if (!mb) throw no(`no such mailbox: ${name}`, "NONEXISTENT");
      // MODSEQ of every message only for QRESYNC's report of what changed; else the view may be one read before at this HIGHESTMODSEQ.
      let view = qresync ? undefined : cachedView(mb.id, mb.highestModSeq);
      let rows: FlagRow[] = [];
      if (!view) {
        rows = await flagRows(s.ctx.store, accountId, mb.id, "all", !!qresync);
        view = { modSeq: mb.highestModSeq, uids: rows.map((r) => r.uid), flags: rows.map((r) => flagList(r)) };
        rememberView(mb.id, view);
        // A keyword set between the two reads is in a row but not in the FLAGS read before: read them again (RFC 3501 7.2.6).
        const known = new Set(mb.keywords.split(" "));
        if (rows.some((r) => r.keywords && r.keywords.split(" ").some((k) => !known.has(k)))) {
          mb.keywords = (await folderByName(s.ctx.store, accountId, name))?.keywords ?? mb.keywords;
        }
      }
      const flags = new Map<number, string>();
      let firstUnseen = 0;
      const uids = view.uids;
      for (let i = 0; i < uids.length; i++) {
        flags.set(uids[i], view.flags[i]);
        if (!firstUnseen && !view.flags[i].includes("\\Seen")) firstUnseen = i + 1;
      }
      s.selected = {
        id: mb.id,
        name: mb.name,
        readOnly,
        uidValidity: mb.uidValidity,
        uids: uids.slice(),
        flags,
        modSeq: mb.highestModSeq,
        pendingExpunge: new Set(),
        pendingFlags: new Set(),
        keywords: mb.keywords,
        recent: new Set(),
      };
      s.state = "selected";
      const last = uids.length ? uids[uids.length - 1] : 0;
      if (!s.rev2 && last > mb.recentUid) {
        if (readOnly) for (const u of uids) if (u > mb.recentUid) s.selected.recent.add(u);
        if (!readOnly) await s.takeRecent(last);
      }
      const keywords = mb.keywords ? " " + mb.keywords : "";
      // One write for the lot.
      const out = [`* FLAGS (${SYSTEM}${keywords})\r\n`, `* OK [PERMANENTFLAGS (${readOnly ? "" : SYSTEM + keywords + " \\*"})] ${readOnly ? "read-only" : "flags and keywords are kept"}\r\n`, `* ${uids.length} EXISTS\r\n`];
      // RFC 9051 (appendix E): IMAP4rev2 has neither RECENT nor the UNSEEN response code.
      if (!s.rev2) {
        out.push(`* ${s.selected.recent.size} RECENT\r\n`);
        if (firstUnseen) out.push(`* OK [UNSEEN ${firstUnseen}] first unseen message\r\n`);
      }
      out.push(`* OK [UIDVALIDITY ${mb.uidValidity}] UIDs valid\r\n`, `* OK [UIDNEXT ${mb.uidNext}] predicted next UID\r\n`, `* OK [HIGHESTMODSEQ ${mb.highestModSeq}] highest\r\n`);
      await s.send(out);
      if (qresync && qresync.uidValidity === mb.uidValidity) await resync(s, rows, qresync);
      return { text: `${readOnly ? "EXAMINE" : "SELECT"} completed`, code: readOnly ? "READ-ONLY" : "READ-WRITE" };
    },
  };
}

interface QresyncParams {
  uidValidity: number;
  modSeq: bigint;
  knownUids: Range[] | null;
}

/** SELECT parameters: CONDSTORE (RFC 7162 3.1.8) and QRESYNC (uidvalidity modseq [known-uids [seq-match-data]]) (3.2.5). */
function selectParams(s: Session, params: Token[]): QresyncParams | null {
  let q: QresyncParams | null = null;
  for (let i = 0; i < params.length; i++) {
    const p = atom(params[i], "select parameter").toUpperCase();
    if (p === "CONDSTORE") {
      s.enabled.add("CONDSTORE");
      continue;
    }
    if (p !== "QRESYNC") throw bad(`unknown SELECT parameter ${p.slice(0, 40)}`);
    if (!s.enabled.has("QRESYNC")) throw bad("QRESYNC needs ENABLE QRESYNC first (RFC 7162 3.2.5)");
    const v = list(params[++i], "QRESYNC parameters");
    const uidValidity = number(v[0], "uidvalidity");
    const modSeq = atom(v[1], "mod-sequence");
    if (!/^\d{1,19}$/.test(modSeq) || BigInt(modSeq) === 0n) throw bad("QRESYNC needs a MODSEQ above 0");
    if (v.length > 4 || (v[3] && v[3].type !== "list")) throw bad("QRESYNC (uidvalidity modseq [known-uids [(seq-set uid-set)]])");
    // The sequence match data (v[3]) only narrows what may be reported; the answer is right without it.
    q = { uidValidity, modSeq: BigInt(modSeq), knownUids: v[2] ? parseSequenceSet(atom(v[2], "known UIDs"), 0xffffffff) : null };
  }
  return q;
}

/** RFC 7162 3.2.5.1: what changed since the client's MODSEQ: flags as FETCH, expunges as VANISHED (EARLIER). */
async function resync(s: Session, rows: Array<{ uid: number; modSeq: bigint }>, q: QresyncParams): Promise<void> {
  const sel = s.selected!;
  let lines: string[] = [];
  for (const r of rows) {
    if (r.modSeq <= q.modSeq || (q.knownUids && !inRanges(r.uid, q.knownUids))) continue;
    lines.push(`* ${s.seqOf(r.uid)} FETCH (UID ${r.uid} FLAGS ${s.flagsOut(r.uid, sel.flags.get(r.uid)!)} MODSEQ (${r.modSeq}))\r\n`);
    if (lines.length >= 1000) {
      await s.send(lines);
      lines = [];
    }
  }
  if (lines.length) await s.send(lines);
  const gone = await vanishedSince(s, sel.id, q.modSeq, q.knownUids);
  if (gone) await s.untagged(`VANISHED (EARLIER) ${gone}`);
}

export const SELECT = select(false);
export const EXAMINE = select(true);

function leave(s: Session): void {
  s.selected = null;
  s.state = "authenticated";
}

export const CLOSE: CommandSpec = {
  states: SELECTED,
  noUpdates: true,
  async run(s, cmd) {
    noMore(cmd.args, 0);
    const sel = s.selected!;
    // RFC 3501 6.4.2: \Deleted messages are removed without untagged EXPUNGE responses.
    if (!sel.readOnly) await s.ctx.store.expunge({ accountId: s.account!.id, mailboxId: sel.id, onlyDeleted: true });
    leave(s);
  },
};

export const UNSELECT: CommandSpec = {
  states: SELECTED,
  noUpdates: true,
  async run(s, cmd) {
    noMore(cmd.args, 0);
    leave(s);
  },
};

export const CHECK: CommandSpec = {
  states: SELECTED,
  async run(_s, cmd) {
    noMore(cmd.args, 0);
  },
};
