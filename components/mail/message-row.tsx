"use client";

/**
 * One row of the message list (mail-list.tsx): checkbox, sender, subject and snippet,
 * date; a plain click opens the message in the list's pane. `slot` places it in the
 * virtual list (virtual-list.tsx); `place` is its position in the whole list, for screen
 * readers (aria-posinset of aria-setsize).
 */
import { memo, type CSSProperties, type DragEvent, type MouseEvent, type ReactNode } from "react";
import Link from "next/link";
import type { ListRow } from "@/lib/web/list-rows";
import { LocalTime } from "./local-time";
import { PaperclipIcon, StarIcon } from "../ui/icons";

/** The text with each highlighted term marked (case-insensitive). */
function Highlighted({ text, terms }: { text: string; terms: string[] }): ReactNode {
  const usable = terms.map((t) => t.trim()).filter((t) => t.length > 0);
  if (usable.length === 0) return text;
  const re = new RegExp(`(${usable.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")})`, "gi");
  return text.split(re).map((part, i) => (i % 2 === 1 ? <mark key={i} className="rounded bg-yellow-200 px-0.5 text-slate-900">{part}</mark> : part));
}

export interface Slot {
  ref?: (el: HTMLElement | null) => void;
  "data-index"?: number;
  style?: CSSProperties;
}

const placeOf = (place?: { pos: number; size: number }) => (place ? { "aria-posinset": place.pos, "aria-setsize": place.size } : {});

/** A row not fetched yet (virtual list): its place is kept, its slice is on its way. */
export function LoadingRow({ index, slot, place }: { index: number; slot: Slot; place: { pos: number; size: number } }) {
  return (
    <li {...slot} {...placeOf(place)} data-row-index={index} aria-busy="true" data-testid="row-loading" className="flex h-[46px] items-center gap-3 border-b border-slate-200 bg-white px-4">
      <span className="sr-only">Loading</span>
      <span className="h-3 w-40 rounded bg-slate-100" aria-hidden="true" />
      <span className="h-3 flex-1 rounded bg-slate-100" aria-hidden="true" />
    </li>
  );
}

/** What a row does, by its index (one stable object for every row: see MailList). */
export interface RowActions {
  select(i: number, range: boolean): void;
  open(i: number): void;
  focus(i: number): void;
  dragStart(i: number, e: DragEvent): void;
}

interface RowProps {
  m: ListRow;
  index: number;
  checked: boolean;
  current: boolean;
  showFolder: boolean;
  highlight: string[];
  slot?: Slot;
  place?: { pos: number; size: number };
  actions: RowActions;
}

/** Same row, same place: no render (the slot's style object is new on every render of the list). */
function sameRow(a: RowProps, b: RowProps): boolean {
  return (
    a.m === b.m &&
    a.index === b.index &&
    a.checked === b.checked &&
    a.current === b.current &&
    a.showFolder === b.showFolder &&
    a.highlight === b.highlight &&
    a.actions === b.actions &&
    a.slot?.ref === b.slot?.ref &&
    a.slot?.style?.transform === b.slot?.style?.transform &&
    a.place?.pos === b.place?.pos &&
    a.place?.size === b.place?.size
  );
}

export const MessageRow = memo(function MessageRow({ m, index, checked, current, showFolder, highlight, slot, place, actions }: RowProps) {
  const unread = !m.seen;
  return (
    <li
      {...slot}
      {...placeOf(place)}
      data-row-index={index}
      draggable
      onDragStart={(e) => actions.dragStart(index, e)}
      className={`group flex items-center ${slot ? "border-b border-slate-200" : ""} ${checked ? "bg-blue-50" : unread ? "bg-white" : "bg-slate-50"} ${current ? "shadow-[inset_3px_0_0_#2563eb]" : ""}`}
    >
      <input
        type="checkbox"
        className="ml-3 h-4 w-4 shrink-0"
        aria-label={`Select: ${m.subject.trim() || "(no subject)"}`}
        checked={checked}
        onChange={() => undefined}
        onClick={(e) => {
          actions.select(index, e.shiftKey);
        }}
        data-testid="row-select"
      />
      <Link
        prefetch={false}
        href={m.href}
        onFocus={() => actions.focus(index)}
        onClick={(e: MouseEvent) => {
          // A plain click opens it here; with a modifier (new tab, window) the browser does.
          if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
          e.preventDefault();
          actions.open(index);
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
}, sameRow);
