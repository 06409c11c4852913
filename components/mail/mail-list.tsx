"use client";

/**
 * A folder's messages or a search's results, with selection (click, shift-click, `x`,
 * "select all N matching"), the bulk toolbar, drag to a folder, and the list's keys
 * (j/k, o/Enter, x, s, e, #, !, Shift+i, Shift+u). Changes go through server actions
 * (app/mail/actions.ts); the toast offers undo.
 */
import { useMemo, useState, type ReactNode } from "react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { bulkAction } from "@/app/mail/actions";
import type { BulkAction } from "@/lib/web/organise";
import { LocalTime } from "./local-time";
import { useKeys } from "./keys";
import { notify } from "./undo-toast";
import { useMessagePane } from "./list-pane";
import { PaperclipIcon, StarIcon } from "../ui/icons";

export interface ListRow {
  id: string;
  href: string;
  /** The folder it is in (search results show it). */
  folder: string;
  who: string;
  subject: string;
  snippet: string;
  iso: string;
  initialDate: string;
  seen: boolean;
  flagged: boolean;
  hasAttachments: boolean;
  /** Conversations view: the messages in the conversation (all folders), and its messages here (what actions change). */
  count?: number;
  members?: string[];
}

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

/** The text with each highlighted term marked (case-insensitive). */
function Highlighted({ text, terms }: { text: string; terms: string[] }): ReactNode {
  const usable = terms.map((t) => t.trim()).filter((t) => t.length > 0);
  if (usable.length === 0) return text;
  const re = new RegExp(`(${usable.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")})`, "gi");
  return text.split(re).map((part, i) => (i % 2 === 1 ? <mark key={i} className="rounded bg-yellow-200 px-0.5 text-slate-900">{part}</mark> : part));
}

export function MailList({ rows, total, allQuery, inJunk, showFolder, highlight, moveTargets, empty }: ListProps) {
  const router = useRouter();
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [allMatching, setAllMatching] = useState(false);
  const [cursor, setCursor] = useState(0);
  const [anchor, setAnchor] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = useMemo(() => rows.map((r) => r.id), [rows]);
  // Rows gone after a refresh (moved elsewhere) leave the selection.
  const live = useMemo(() => new Set([...selected].filter((id) => ids.includes(id))), [selected, ids]);
  const cur = Math.min(cursor, Math.max(0, rows.length - 1));
  const pane = useMessagePane(rows);

  const toggle = (i: number, range: boolean) => {
    const next = new Set(live);
    if (range && anchor !== null) {
      const [a, b] = [Math.min(anchor, i), Math.max(anchor, i)];
      const on = !live.has(rows[i].id);
      for (let j = a; j <= b; j++) (on ? next.add(rows[j].id) : next.delete(rows[j].id));
    } else if (next.has(rows[i].id)) next.delete(rows[i].id);
    else next.add(rows[i].id);
    setAnchor(i);
    setAllMatching(false);
    setSelected(next);
  };

  /** The selection, or the row under the cursor when nothing is selected (a conversation: its messages here). */
  const targetIds = (): string[] => {
    const chosen = live.size ? rows.filter((r) => live.has(r.id)) : rows[cur] ? [rows[cur]] : [];
    return chosen.flatMap((r) => r.members ?? [r.id]);
  };

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
    const chosen = live.size ? rows.filter((r) => live.has(r.id)) : rows[cur] ? [rows[cur]] : [];
    return chosen.length && chosen.every((r) => r.flagged) ? "unstar" : "star";
  };

  useKeys((key) => {
    // An open message has its own keys (message-actions.tsx).
    if (rows.length === 0 || pane.showing) return false;
    const focusRow = (i: number) => {
      setCursor(i);
      document.querySelector<HTMLElement>(`[data-row-index="${i}"] a`)?.focus();
    };
    switch (key) {
      case "j":
        focusRow(Math.min(rows.length - 1, cur + 1));
        return true;
      case "k":
        focusRow(Math.max(0, cur - 1));
        return true;
      case "o":
      case "Enter":
        void pane.open(rows[cur].href, rows[cur].id);
        return true;
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

  if (rows.length === 0) {
    return (
      <div className="px-6 py-16 text-center text-slate-500" data-testid="empty-folder">
        <p className="text-base font-medium text-slate-600">{empty.title}</p>
        <p className="mt-1 text-sm">{empty.text}</p>
      </div>
    );
  }

  const allShown = live.size === rows.length;
  const count = allMatching ? total : live.size;
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
          {count > 0 ? (
            <>
              <span className="mr-2 text-sm text-slate-600" data-testid="selected-count">
                {count} selected
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
        {allShown && total > rows.length && (
          <div className="border-b border-slate-200 bg-blue-50 px-4 py-2 text-center text-sm text-blue-900">
            {allMatching ? (
              <>All {total} messages are selected. </>
            ) : (
              <>
                All {rows.length} messages shown are selected.{" "}
                <button type="button" className="font-semibold underline" onClick={() => setAllMatching(true)} data-testid="select-all-matching">
                  Select all {total} messages
                </button>
              </>
            )}
          </div>
        )}
        <ul className="divide-y divide-slate-200" data-testid="message-list" aria-label="Messages">
          {rows.map((m, i) => {
            const unread = !m.seen;
            const checked = live.has(m.id);
            return (
              <li
                key={m.id}
                data-row-index={i}
                draggable
                onDragStart={(e) => {
                  const drag = (checked ? rows.filter((r) => live.has(r.id)) : [m]).flatMap((r) => r.members ?? [r.id]);
                  e.dataTransfer.setData("application/x-mail-ids", JSON.stringify(drag));
                  e.dataTransfer.effectAllowed = "move";
                }}
                className={`group flex items-center ${checked ? "bg-blue-50" : unread ? "bg-white" : "bg-slate-50"} ${i === cur ? "shadow-[inset_3px_0_0_#2563eb]" : ""}`}
              >
                <input
                  type="checkbox"
                  className="ml-3 h-4 w-4 shrink-0"
                  aria-label={`Select: ${m.subject.trim() || "(no subject)"}`}
                  checked={checked}
                  onChange={() => undefined}
                  onClick={(e) => {
                    setCursor(i);
                    toggle(i, e.shiftKey);
                  }}
                  data-testid="row-select"
                />
                <Link
                  prefetch={false}
                  href={m.href}
                  onFocus={() => setCursor(i)}
                  onClick={(e) => {
                    // A plain click opens it here; with a modifier (new tab, window) the browser does.
                    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
                    e.preventDefault();
                    setCursor(i);
                    void pane.open(m.href, m.id);
                  }}
                  data-testid="message-row"
                  data-message-id={m.id}
                  data-unread={unread ? "true" : "false"}
                  className={`flex min-w-0 flex-1 flex-col gap-0.5 px-3 py-2.5 focus:outline-2 focus:-outline-offset-2 focus:outline-blue-600 sm:flex-row sm:items-center sm:gap-3 ${unread ? "text-slate-900" : "text-slate-600"}`}
                >
                  <div className="flex min-w-0 items-center gap-2 sm:w-56 sm:shrink-0">
                    <span className={`h-2 w-2 shrink-0 rounded-full ${unread ? "bg-blue-600" : "bg-transparent"}`} aria-hidden="true" />
                    {unread && <span className="sr-only">Unread,</span>}
                    {m.flagged && <StarIcon className="h-4 w-4 shrink-0 fill-amber-400 text-amber-500" aria-label="Starred" />}
                    <span className={`truncate ${unread ? "font-bold" : "font-normal"}`} data-testid="message-sender">
                      <Highlighted text={m.who} terms={highlight} />
                    </span>
                    {m.count !== undefined && m.count > 1 && (
                      <span className="shrink-0 text-xs text-slate-600" aria-label={`${m.count} messages`} data-testid="thread-count">
                        {m.count}
                      </span>
                    )}
                    <LocalTime iso={m.iso} mode="list" initial={m.initialDate} className={`ml-auto shrink-0 pl-2 text-xs sm:hidden ${unread ? "font-bold text-slate-900" : "text-slate-500"}`} />
                  </div>
                  <div className="min-w-0 flex-1 truncate pl-4 text-sm sm:pl-0">
                    {showFolder && <span className="mr-2 rounded bg-slate-200 px-1.5 py-0.5 text-xs text-slate-700" data-testid="message-folder">{m.folder === "INBOX" ? "Inbox" : m.folder}</span>}
                    <span className={unread ? "font-bold" : "font-normal"} data-testid="message-subject">
                      <Highlighted text={m.subject.trim() || "(no subject)"} terms={highlight} />
                    </span>
                    {m.snippet && (
                      <span className="font-normal text-slate-500">
                        {" "}
                        — <Highlighted text={m.snippet} terms={highlight} />
                      </span>
                    )}
                  </div>
                  <div className="hidden shrink-0 items-center gap-2 sm:flex">
                    {m.hasAttachments && <PaperclipIcon className="h-4 w-4 text-slate-500" aria-label="Has attachments" />}
                    <LocalTime iso={m.iso} mode="list" initial={m.initialDate} className={`w-20 text-right text-xs tabular-nums ${unread ? "font-bold text-slate-900" : "text-slate-500"}`} />
                  </div>
                </Link>
              </li>
            );
          })}
        </ul>
      </div>
    </>
  );
}
