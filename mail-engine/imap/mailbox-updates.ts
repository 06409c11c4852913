/**
 * What a session tells its client of changes made elsewhere to the selected mailbox, read
 * from the store's change journal since the MODSEQ the session has seen: new messages
 * (EXISTS, RECENT), expunges (EXPUNGE or VANISHED, where RFC 3501 5.5 allows them), flag
 * changes (FETCH FLAGS, with MODSEQ under CONDSTORE, RFC 7162 3.2.4) and new keywords
 * (FLAGS). Session.flushUpdates() serialises the calls.
 */
import type { AuthenticatedAccount } from "../../lib/auth/authenticate";
import { flagRows } from "../../lib/store/fetch-rows";
import { fromSequenceSet } from "../../lib/store/sequence-set";
import { flagList } from "./encode";
import { FLAG_SELECT, type SelectedMailbox, type Session } from "./session";

export async function announceChanges(s: Session, sel: SelectedMailbox, account: AuthenticatedAccount, mayExpunge: boolean): Promise<void> {
  const db = s.ctx.db;
  const changes = await db.mailboxChange.findMany({
    where: { mailboxId: sel.id, modSeq: { gt: sel.modSeq } },
    orderBy: { id: "asc" },
    select: { modSeq: true, kind: true, uids: true },
    take: 10_000,
  });
  if (s.selected !== sel) return;
  let flagsChanged = false;
  for (const c of changes) {
    if (c.modSeq > sel.modSeq) sel.modSeq = c.modSeq;
    if (c.kind === "flags" || c.kind === "append") flagsChanged = true;
    if (c.kind === "expunge") {
      for (const u of fromSequenceSet(c.uids)) if (sel.flags.has(u)) sel.pendingExpunge.add(u);
    } else if (c.kind === "flags") {
      for (const u of fromSequenceSet(c.uids)) if (sel.flags.has(u)) sel.pendingFlags.add(u);
    } else if (c.kind === "mailbox-delete") {
      // Deleted elsewhere: its messages are gone; the client learns it as expunges (RFC 3501 allows no other way short of BYE).
      for (const u of sel.uids) sel.pendingExpunge.add(u);
    }
  }
  if (flagsChanged) {
    // A new keyword in the folder: FLAGS and PERMANENTFLAGS again, before a FETCH shows it.
    const mb = await db.mailbox.findUnique({ where: { id: sel.id }, select: { keywords: true } });
    if (mb && mb.keywords !== sel.keywords && s.selected === sel) await s.announceKeywords(mb.keywords.split(" "));
  }
  if (mayExpunge && sel.pendingExpunge.size) {
    await s.expunged(sel.pendingExpunge);
  }
  const last = sel.uids.length ? sel.uids[sel.uids.length - 1] : 0;
  const fresh = await db.message.findMany({
    where: { mailboxId: sel.id, accountId: account.id, uid: { gt: last } },
    orderBy: { uid: "asc" },
    select: FLAG_SELECT,
  });
  if (s.selected !== sel) return;
  if (fresh.length) {
    for (const m of fresh) {
      sel.uids.push(m.uid);
      sel.flags.set(m.uid, flagList(m));
    }
    const recentBefore = sel.recent.size;
    if (!s.rev2) await s.takeRecent(fresh[fresh.length - 1].uid);
    if (s.selected !== sel) return;
    await s.untagged(`${sel.uids.length} EXISTS`);
    if (sel.recent.size !== recentBefore) await s.untagged(`${sel.recent.size} RECENT`);
  }
  if (sel.pendingFlags.size) {
    const uids = [...sel.pendingFlags].filter((u) => !sel.pendingExpunge.has(u));
    sel.pendingFlags.clear();
    // Over the store's read connection: after a STORE 1:* this is every message of the mailbox.
    const rows = await flagRows(s.ctx.store, account.id, sel.id, uids);
    for (const m of rows) {
      const f = flagList(m);
      if (sel.flags.get(m.uid) === f) continue;
      sel.flags.set(m.uid, f);
      const n = s.seqOf(m.uid);
      // RFC 7162 3.2.4 (3.1.4.1): with CONDSTORE an unsolicited flag change carries its MODSEQ.
      if (n) await s.untagged(`${n} FETCH (UID ${m.uid} FLAGS ${s.flagsOut(m.uid, f)}${s.enabled.has("CONDSTORE") ? ` MODSEQ (${m.modSeq})` : ""})`);
    }
  }
}
