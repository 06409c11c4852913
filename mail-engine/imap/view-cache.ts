/**
 * The last views SELECT read (a mailbox's UIDs and flag lists), by mailbox, kept while the
 * mailbox's HIGHESTMODSEQ is unchanged: every change to a mailbox raises it (lib/store
 * journal), so a view read at that MODSEQ is still exact. A client opening a connection
 * per folder, or several at once, then costs one row instead of a read of every message
 * (Dovecot keeps the same in its index file). Bounded by the UIDs held, across mailboxes.
 */
export interface ViewSnapshot {
  modSeq: bigint;
  uids: number[];
  /** Flag list of uids[i] (flagList()'s shared strings). */
  flags: string[];
}

const MAX_UIDS = 500_000;
const views = new Map<string, ViewSnapshot>();
let held = 0;

/** The view of a mailbox read at `modSeq`, if it is still here. */
export function cachedView(mailboxId: string, modSeq: bigint): ViewSnapshot | undefined {
  const v = views.get(mailboxId);
  if (!v) return undefined;
  if (v.modSeq !== modSeq) {
    forget(mailboxId);
    return undefined;
  }
  // Most recently used last, so the oldest goes first.
  views.delete(mailboxId);
  views.set(mailboxId, v);
  return v;
}

export function rememberView(mailboxId: string, v: ViewSnapshot): void {
  forget(mailboxId);
  if (v.uids.length > MAX_UIDS) return;
  views.set(mailboxId, v);
  held += v.uids.length;
  for (const [id, old] of views) {
    if (held <= MAX_UIDS) break;
    views.delete(id);
    held -= old.uids.length;
  }
}

function forget(mailboxId: string): void {
  const v = views.get(mailboxId);
  if (!v) return;
  views.delete(mailboxId);
  held -= v.uids.length;
}
