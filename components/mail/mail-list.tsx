"use client";

/**
 * A folder's messages or a search's results, with selection (click, shift-click, `x`,
 * "select all N matching"), the bulk toolbar, drag to a folder, and the list's keys
 * (j/k, o/Enter, x, s, e, #, !, Shift+i, Shift+u). Changes go through server actions
 * (app/mail/actions.ts); the toast offers undo.
 */
import { useCallback, useMemo, useRef, useState } from "react";
import { useRouter } from "next/navigation";
import { bulkAction } from "@/app/mail/actions";
import type { BulkAction } from "@/lib/web/organise";
import { useKeys } from "./keys";
import { notify } from "./undo-toast";
import { useMessagePane } from "./list-pane";
import { LoadingRow, MessageRow, type RowActions, type Slot } from "./message-row";
import { useSlices, type VirtualSource } from "./virtual-rows";
import { VirtualRows, type VirtualApi } from "./virtual-list";
import type { ListRow } from "@/lib/web/list-rows";

export type { ListRow };

export interface ListProps {
  rows: ListRow[];
  /** All messages the list stands for (the folder's, or the search's matches). */
  total: number;
  /** The query that selects all of them ("select all N matching"). */
  allQuery: string;
  /** Whether these are in Junk (then `!` means not junk). */
  inJunk: boolean;
  showFolder: boolean;
  highlight: string[];
  moveTargets: Array<{ name: string; label: string }>;
  empty: { title: string; text: string };
  /** A folder's messages, scrolled virtually (`rows`: its first slice); without it `rows` is the whole list. */
  virtual?: VirtualSource;
}

const LABELS: Record<string, string> = {
  read: "marked read",
  unread: "marked unread",
  star: "starred",
  unstar: "unstarred",
  archive: "archived",
  trash: "moved to Trash",
  junk: "marked as junk",
  notjunk: "moved to Inbox",
};

function describe(action: BulkAction, count: number): string {
  const what = `${count} message${count === 1 ? "" : "s"}`;
  return typeof action === "string" ? `${what} ${LABELS[action]}` : `${what} moved to ${action.move === "INBOX" ? "Inbox" : action.move}`;
}

/** Runs a bulk action and shows its toast (with undo); `done` runs after the change. */
export async function runAction(targets: { ids: string[] } | { query: string }, action: BulkAction, done: () => void): Promise<void> {
  try {
    const r = await bulkAction(targets, action);
    notify(r.ok ? describe(action, r.count) : r.error, r.ok ? r.undo : null);
  } catch {
    notify("That did not work: check your connection and try again.");
  }
  done();
}

/** Most rows a Shift-click range fetches to select (50 slices). */
const RANGE_FETCH_MAX = 5000;

export function MailList({ rows, total, allQuery, inJunk, showFolder, highlight, moveTargets, empty, virtual }: ListProps) {
  const router = useRouter();
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [allMatching, setAllMatching] = useState(false);
  const [cursor, setCursor] = useState(0);
  const [anchor, setAnchor] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const slices = useSlices(virtual ?? null, rows);
  const scroller = useRef<VirtualApi | null>(null);
  // Virtual: the scrollbar stands for the whole folder; the rows fetched so far are `loaded`.
  const count = virtual ? Math.max(virtual.total, rows.length) : rows.length;
  const loaded = slices.loaded;
  const rowAt = slices.rowAt;
  const ids = useMemo(() => loaded.map((r) => r.id), [loaded]);
  // Rows gone after a refresh (moved elsewhere) leave the selection.
  const live = useMemo(() => {
    const here = new Set(ids);
    return new Set([...selected].filter((id) => here.has(id)));
  }, [selected, ids]);
  const cur = Math.min(cursor, Math.max(0, count - 1));
  const pane = useMessagePane(loaded);
  const onRange = useCallback((first: number, last: number) => slices.request(first, last), [slices]);

  const toggle = (i: number, range: boolean) => {
    const row = rowAt(i);
    if (!row) return;
    setAnchor(i);
    setAllMatching(false);
    if (range && anchor !== null) {
      const [a, b] = [Math.min(anchor, i), Math.max(anchor, i)];
      const on = !live.has(row.id);
      const apply = () =>
        setSelected((before) => {
          const next = new Set(before);
          for (let j = a; j <= b; j++) {
            const r = rowAt(j);
            if (r) (on ? next.add(r.id) : next.delete(r.id));
          }
          return next;
        });
      apply();
      // Rows of the range not fetched yet (a jump between the two clicks) join when they are here;
      // a range wider than that is the loaded rows only ("select all N" is for the whole folder).
      if (virtual && b - a <= RANGE_FETCH_MAX) void slices.ensure(a, b).then(apply);
      return;
    }
    setSelected((before) => {
      const next = new Set([...before].filter((id) => live.has(id)));
      if (next.has(row.id)) next.delete(row.id);
      else next.add(row.id);
      return next;
    });
  };

  /** The selected rows, or the row under the cursor when nothing is selected. */
  const chosenRows = () => (live.size ? loaded.filter((r) => live.has(r.id)) : rowAt(cur) ? [rowAt(cur)!] : []);
  /** Their messages (a conversation: its messages here). */
  const targetIds = (): string[] => chosenRows().flatMap((r) => r.members ?? [r.id]);

  const act = (action: BulkAction) => {
    const list = targetIds();
    // Keys are not dropped while an earlier action is on its way (the store orders them); the buttons wait.
    if (!allMatching && list.length === 0) return;
    setBusy(true);
    void runAction(allMatching ? { query: allQuery } : { ids: list }, action, () => {
      setBusy(false);
      setSelected(new Set());
      setAllMatching(false);
      router.refresh();
    });
  };

  const starAction = (): BulkAction => {
    const chosen = chosenRows();
    return chosen.length && chosen.every((r) => r.flagged) ? "unstar" : "star";
  };

  useKeys((key) => {
    // An open message has its own keys (message-actions.tsx).
    if (count === 0 || pane.showing) return false;
    const focusRow = (i: number) => {
      setCursor(i);
      scroller.current?.scrollToIndex(i);
      // A virtual row is in the document once scrolled to (and fetched): a few frames at most.
      let tries = 30;
      const focus = () => {
        const a = document.querySelector<HTMLElement>(`[data-row-index="${i}"] a`);
        if (a) a.focus({ preventScroll: !!virtual });
        else if (tries-- > 0) requestAnimationFrame(focus);
      };
      focus();
    };
    switch (key) {
      case "j":
        focusRow(Math.min(count - 1, cur + 1));
        return true;
      case "k":
        focusRow(Math.max(0, cur - 1));
        return true;
      case "o":
      case "Enter": {
        const row = rowAt(cur);
        if (row) void pane.open(row.href, row.id);
        return true;
      }
      case "x":
        toggle(cur, false);
        return true;
      case "s":
        act(starAction());
        return true;
      case "e":
        act("archive");
        return true;
      case "#":
        act("trash");
        return true;
      case "!":
        act(inJunk ? "notjunk" : "junk");
        return true;
      case "I":
        act("read");
        return true;
      case "U":
        act("unread");
        return true;
    }
    return false;
  });

  // The rows' handlers read this render's state through a ref: the row components stay the
  // same between renders (memo), so a scroll re-renders only the rows whose place changed.
  const rowActions = useRef<RowActions | null>(null);
  rowActions.current = {
    select: (i, range) => {
      setCursor(i);
      toggle(i, range);
    },
    open: (i) => {
      const m = rowAt(i);
      setCursor(i);
      if (m) void pane.open(m.href, m.id);
    },
    focus: (i) => setCursor(i),
    dragStart: (i, e) => {
      const m = rowAt(i);
      if (!m) return;
      const drag = (live.has(m.id) ? loaded.filter((r) => live.has(r.id)) : [m]).flatMap((r) => r.members ?? [r.id]);
      e.dataTransfer.setData("application/x-mail-ids", JSON.stringify(drag));
      e.dataTransfer.effectAllowed = "move";
    },
  };
  const actions = useMemo<RowActions>(
    () => ({
      select: (i, range) => rowActions.current?.select(i, range),
      open: (i) => rowActions.current?.open(i),
      focus: (i) => rowActions.current?.focus(i),
      dragStart: (i, e) => rowActions.current?.dragStart(i, e),
    }),
    [],
  );

  const renderRow = (i: number, slot?: Slot, place?: { pos: number; size: number }) => {
    const m = rowAt(i);
    if (!m) return <LoadingRow key={`loading-${i}`} index={i} slot={slot ?? {}} place={place ?? { pos: i + 1, size: count }} />;
    return (
      <MessageRow
        key={m.id}
        m={m}
        index={i}
        checked={live.has(m.id)}
        current={i === cur}
        showFolder={showFolder}
        highlight={highlight}
        slot={slot}
        place={place}
        actions={actions}
      />
    );
  };

  if (count === 0) {
    return (
      <div className="px-6 py-16 text-center text-slate-500" data-testid="empty-folder">
        <p className="text-base font-medium text-slate-600">{empty.title}</p>
        <p className="mt-1 text-sm">{empty.text}</p>
      </div>
    );
  }

  const allShown = live.size === loaded.length;
  const chosen = allMatching ? total : live.size;
  const button = "rounded-md px-2.5 py-1 text-sm font-medium text-slate-700 hover:bg-slate-100 disabled:opacity-50";

  return (
    <>
      {pane.element}
      <div hidden={pane.showing}>
        <div className="sticky top-14 z-10 flex flex-wrap items-center gap-1 border-b border-slate-200 bg-white px-3 py-1.5" role="toolbar" aria-label="Selected messages">
          <input
            type="checkbox"
            aria-label={allShown ? "Select none" : "Select all shown"}
            checked={allShown}
            onChange={() => {
              setAllMatching(false);
              setSelected(allShown ? new Set() : new Set(ids));
            }}
            className="mr-2 h-4 w-4"
            data-testid="select-all"
          />
          {chosen > 0 ? (
            <>
              <span className="mr-2 text-sm text-slate-600" data-testid="selected-count">
                {chosen} selected
              </span>
              <button type="button" className={button} disabled={busy} onClick={() => act("archive")} data-testid="bulk-archive">
                Archive
              </button>
              <button type="button" className={button} disabled={busy} onClick={() => act("trash")} data-testid="bulk-trash">
                Delete
              </button>
              <button type="button" className={button} disabled={busy} onClick={() => act(inJunk ? "notjunk" : "junk")} data-testid="bulk-junk">
                {inJunk ? "Not junk" : "Junk"}
              </button>
              <button type="button" className={button} disabled={busy} onClick={() => act("read")} data-testid="bulk-read">
                Mark read
              </button>
              <button type="button" className={button} disabled={busy} onClick={() => act("unread")} data-testid="bulk-unread">
                Mark unread
              </button>
              <button type="button" className={button} disabled={busy} onClick={() => act(starAction())} data-testid="bulk-star">
                Star
              </button>
              <label className="ml-1 text-sm text-slate-600">
                <span className="sr-only">Move to folder</span>
                <select
                  className="rounded-md border border-slate-300 bg-white px-2 py-1 text-sm"
                  value=""
                  disabled={busy}
                  data-testid="bulk-move"
                  onChange={(e) => e.target.value && act({ move: e.target.value })}
                >
                  <option value="">Move to…</option>
                  {moveTargets.map((f) => (
                    <option key={f.name} value={f.name}>
                      {f.label}
                    </option>
                  ))}
                </select>
              </label>
            </>
          ) : (
            <span className="hidden text-sm text-slate-500 sm:inline">Select messages to act on them, or press ? for keyboard shortcuts</span>
          )}
        </div>
        {allShown && total > loaded.length && (
          <div className="border-b border-slate-200 bg-blue-50 px-4 py-2 text-center text-sm text-blue-900">
            {allMatching ? (
              <>All {total} messages are selected. </>
            ) : (
              <>
                All {loaded.length} messages {virtual ? "loaded" : "shown"} are selected.{" "}
                <button type="button" className="font-semibold underline" onClick={() => setAllMatching(true)} data-testid="select-all-matching">
                  Select all {total} messages
                </button>
              </>
            )}
          </div>
        )}
        {virtual ? (
          <VirtualRows
            count={count}
            hidden={pane.showing}
            api={scroller}
            onRange={onRange}
            renderRow={(i, slot) => renderRow(i, slot, { pos: i + 1, size: count })}
          />
        ) : (
          <ul className="divide-y divide-slate-200" data-testid="message-list" aria-label="Messages">
            {rows.map((_, i) => renderRow(i))}
          </ul>
        )}
      </div>
    </>
  );
}
