/**
 * STORE and UID STORE (RFC 3501 6.4.6, 6.4.8): +FLAGS, -FLAGS, FLAGS, with .SILENT;
 * UNCHANGEDSINCE (RFC 7162 3.1.3). Through MailStore.setFlags, so every path sees it.
 */
import { atom, list, ParseError, type Token } from "../parser/tokens";
import { flagList } from "../encode";
import { no } from "../session";
import { SELECTED, type CommandSpec } from "./types";
import { parseFlags } from "./flags";

export const STORE: CommandSpec = {
  states: SELECTED,
  async run(s, cmd, byUid) {
    const args: Token[] = [...cmd.args];
    const set = atom(args.shift(), "sequence set");
    let unchangedSince: string | null = null;
    if (args[0]?.type === "list") {
      const mods = list(args.shift(), "modifiers");
      if (mods.length !== 2 || atom(mods[0], "modifier").toUpperCase() !== "UNCHANGEDSINCE") throw new ParseError("the only STORE modifier is UNCHANGEDSINCE n");
      unchangedSince = atom(mods[1], "mod-sequence");
      if (!/^\d{1,19}$/.test(unchangedSince)) throw new ParseError("UNCHANGEDSINCE needs a number");
      await s.enableCondstore();
    }
    const item = atom(args.shift(), "FLAGS, +FLAGS or -FLAGS").toUpperCase();
    const m = /^([+-]?)FLAGS(\.SILENT)?$/.exec(item);
    if (!m) throw new ParseError(`expected FLAGS, +FLAGS or -FLAGS (optionally .SILENT), not ${item.slice(0, 40)}`);
    const flagTokens = args.length === 1 && args[0].type === "list" ? args[0].items : args;
    const { flags, keywords } = parseFlags(flagTokens);
    const sel = s.selected!;
    if (sel.readOnly) throw no("the mailbox is read-only (EXAMINE)", "READ-ONLY");
    const uids = s.resolveSet(set, byUid);
    const mode = m[1] === "+" ? "add" : m[1] === "-" ? "remove" : "replace";
    const r = uids.length
      ? await s.ctx.store.setFlags({ accountId: s.account!.id, mailboxId: sel.id, uids, mode, flags, keywords, unchangedSince })
      : { changed: [], modified: [], modSeq: null };
    for (const c of r.changed) {
      const has = (x: (typeof c.flags)[number]) => c.flags.includes(x);
      const f = flagList({ seen: has("seen"), answered: has("answered"), flagged: has("flagged"), deleted: has("deleted"), draft: has("draft"), keywords: c.keywords.join(" ") });
      sel.flags.set(c.uid, f);
    }
    s.ownChange(r.modSeq);
    await s.announceKeywords(r.changed.flatMap((c) => c.keywords));
    const modified = new Set(r.modified);
    const condstore = s.enabled.has("CONDSTORE");
    const changed = new Map(r.changed.map((c) => [c.uid, c.modSeq]));
    // RFC 7162 3.1.3: with CONDSTORE each FETCH carries the message's MODSEQ, and .SILENT still reports changes.
    const silent = !!m[2] && !condstore;
    if (!silent) {
      const report = uids.filter((u) => !modified.has(u) && (!m[2] || changed.has(u)));
      const modSeqs = new Map<number, string>();
      if (condstore) {
        const unchanged = report.filter((u) => !changed.has(u));
        if (unchanged.length) {
          const rows = await s.ctx.db.message.findMany({ where: { mailboxId: sel.id, accountId: s.account!.id, uid: { in: unchanged } }, select: { uid: true, modSeq: true } });
          for (const row of rows) modSeqs.set(row.uid, String(row.modSeq));
        }
        for (const [u, ms] of changed) modSeqs.set(u, ms);
      }
      // Written in a few large pieces: one write per message made STORE 1:* mostly system calls.
      let lines: string[] = [];
      for (const u of report) {
        const n = s.seqOf(u);
        const f = sel.flags.get(u);
        const ms = modSeqs.get(u);
        if (n && f) lines.push(`* ${n} FETCH (${byUid ? `UID ${u} ` : ""}FLAGS ${s.flagsOut(u, f)}${ms ? ` MODSEQ (${ms})` : ""})\r\n`);
        if (lines.length >= 1000) {
          await s.send(lines);
          lines = [];
        }
      }
      s.hold(lines); // with the tagged OK
    }
    if (r.modified.length) {
      const list = byUid ? r.modified : r.modified.map((u) => s.seqOf(u)).filter(Boolean);
      return { text: "conditional STORE failed for some messages", code: `MODIFIED ${toSet(list)}` };
    }
  },
};

function toSet(n: number[]): string {
  return [...n].sort((a, b) => a - b).join(",");
}
