/**
 * Search contexts with UPDATE (RFC 5267 4.3, CONTEXT=SEARCH): after SEARCH RETURN (UPDATE)
 * the session keeps the search program and its result (UIDs of the view) with the selected
 * mailbox, and tells the client how the result changes as messages arrive, change flags or
 * go: unsolicited ESEARCH ADDTO / REMOVEFROM with context position 0 (4.3.3, 4.3.4: allowed
 * for SEARCH, sets in mailbox order), message numbers or UIDs as the search used.
 *
 * The program is run again whenever the mailbox's MODSEQ moved (Session.doFlush, after the
 * EXISTS/FETCH of the same change: 4.3.3 wants ADDTO after EXISTS); expunges are taken out
 * before their EXPUNGE is sent, with the numbers the client still knows (4.3.4). Contexts
 * live on the SelectedMailbox, so they end with the selection (4.3) or CANCELUPDATE (4.3.5).
 */
import { searchMessages, type SearchKey } from "../../lib/store/search";
import { toSequenceSet } from "../../lib/store/sequence-set";
import type { SelectedMailbox, Session } from "./session";

export interface SearchContext {
  tag: string;
  key: SearchKey;
  byUid: boolean;
  /** The result as last told to the client, as UIDs. */
  uids: Set<number>;
}

/** RFC 5267 4.3.1: at least one per client; beyond this many a new UPDATE gets NO [NOUPDATE]. */
export const MAX_UPDATE_CONTEXTS = 8;

/** The start of an ESEARCH response (RFC 4731 3): the command's tag, quoted, and UID for UID commands. */
export function esearchHead(tag: string, byUid: boolean): string {
  return `ESEARCH (TAG "${tag.replace(/[\\"]/g, "\\$&")}")${byUid ? " UID" : ""}`;
}

function ids(s: Session, c: SearchContext, uids: number[]): string {
  const out = c.byUid ? uids : uids.map((u) => s.seqOf(u)).filter(Boolean);
  return toSequenceSet(out.sort((a, b) => a - b));
}

/** Runs every context's program again and tells what entered (ADDTO) and left (REMOVEFROM) its result. */
export async function refreshContexts(s: Session, sel: SelectedMailbox): Promise<void> {
  for (const c of sel.contexts ?? []) {
    const found = await searchMessages(s.ctx.store, s.account!.id, sel.id, c.key);
    if (s.selected !== sel || !sel.contexts?.includes(c)) return;
    // Only messages the client knows of: a new one enters once its EXISTS was sent.
    const now = new Set(found.filter((u) => s.seqOf(u) > 0));
    const removed = [...c.uids].filter((u) => !now.has(u));
    const added = [...now].filter((u) => !c.uids.has(u));
    c.uids = now;
    if (removed.length) await s.untagged(`${esearchHead(c.tag, c.byUid)} REMOVEFROM (0 ${ids(s, c, removed)})`);
    if (added.length) await s.untagged(`${esearchHead(c.tag, c.byUid)} ADDTO (0 ${ids(s, c, added)})`);
  }
}

/** Before EXPUNGE responses for `uids` (still in the view): REMOVEFROM for those in a result (RFC 5267 4.3.4). */
export async function contextsExpunging(s: Session, sel: SelectedMailbox, uids: number[]): Promise<void> {
  for (const c of sel.contexts ?? []) {
    const gone = uids.filter((u) => c.uids.has(u));
    if (!gone.length) continue;
    const set = ids(s, c, gone);
    for (const u of gone) c.uids.delete(u);
    if (set) await s.untagged(`${esearchHead(c.tag, c.byUid)} REMOVEFROM (0 ${set})`);
  }
}
