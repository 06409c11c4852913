/**
 * Selecting (RFC 3501 6.3.1, 6.3.2; RFC 9051 6.3.2): SELECT and EXAMINE read the folder's
 * counters and its UID/flag list once, then the view follows the journal. CLOSE
 * (6.4.2: silently expunges when read-write), UNSELECT (RFC 3691), CHECK (6.4.1).
 */
import { atom, list, noMore } from "../parser/tokens";
import { flagList } from "../encode";
import { bad, FLAG_SELECT, no, SYSTEM_FLAGS as SYSTEM, type Session } from "../session";
import { AUTHED, SELECTED, type CommandSpec } from "./types";
import { mailboxArg } from "./mailboxes";


function select(readOnly: boolean): CommandSpec {
  return {
    states: AUTHED,
    async run(s, cmd) {
      noMore(cmd.args, 2);
      const name = mailboxArg(s, cmd.args[0]);
      if (cmd.args[1]) {
        // RFC 7162 3.1.8: SELECT mailbox (CONDSTORE) enables CONDSTORE.
        const params = list(cmd.args[1], "select parameters").map((t) => atom(t, "select parameter").toUpperCase());
        for (const p of params) if (p !== "CONDSTORE") throw bad(`unknown SELECT parameter ${p.slice(0, 40)}`);
        s.enabled.add("CONDSTORE");
      }
      // RFC 3501 6.3.1: a failed SELECT leaves no mailbox selected.
      s.selected = null;
      s.state = "authenticated";
      const accountId = s.account!.id;
      const mb = await s.ctx.db.mailbox.findUnique({ where: { accountId_name: { accountId, name } } });
      if (!mb) throw no(`no such mailbox: ${name}`, "NONEXISTENT");
      const rows = await s.ctx.db.message.findMany({ where: { mailboxId: mb.id, accountId }, orderBy: { uid: "asc" }, select: FLAG_SELECT });
      const flags = new Map<number, string>();
      let firstUnseen = 0;
      rows.forEach((r, i) => {
        flags.set(r.uid, flagList(r));
        if (!firstUnseen && !r.seen) firstUnseen = i + 1;
      });
      s.selected = {
        id: mb.id,
        name: mb.name,
        readOnly,
        uidValidity: mb.uidValidity,
        uids: rows.map((r) => r.uid),
        flags,
        modSeq: mb.highestModSeq,
        pendingExpunge: new Set(),
        pendingFlags: new Set(),
        keywords: mb.keywords,
        recent: new Set(),
      };
      s.state = "selected";
      if (rows.length && rows[rows.length - 1].uid > mb.recentUid) {
        if (readOnly) for (const r of rows) if (r.uid > mb.recentUid) s.selected.recent.add(r.uid);
        if (!readOnly) await s.takeRecent(rows[rows.length - 1].uid);
      }
      const keywords = mb.keywords ? " " + mb.keywords : "";
      await s.untagged(`FLAGS (${SYSTEM}${keywords})`);
      await s.untagged(`OK [PERMANENTFLAGS (${readOnly ? "" : SYSTEM + keywords + " \\*"})] ${readOnly ? "read-only" : "flags and keywords are kept"}`);
      await s.untagged(`${rows.length} EXISTS`);
      await s.untagged(`${s.selected.recent.size} RECENT`);
      if (firstUnseen) await s.untagged(`OK [UNSEEN ${firstUnseen}] first unseen message`);
      await s.untagged(`OK [UIDVALIDITY ${mb.uidValidity}] UIDs valid`);
      await s.untagged(`OK [UIDNEXT ${mb.uidNext}] predicted next UID`);
      await s.untagged(`OK [HIGHESTMODSEQ ${mb.highestModSeq}] highest`);
      return { text: `${readOnly ? "EXAMINE" : "SELECT"} completed`, code: readOnly ? "READ-ONLY" : "READ-WRITE" };
    },
  };
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
