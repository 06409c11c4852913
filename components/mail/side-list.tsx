/**
 * The folder's newest messages beside an open message on wide screens (the middle of
 * three panes: folders, list, message); hidden on narrower ones, where one pane shows.
 */
import Link from "next/link";
import type { MessageListItem } from "@/lib/store/read";
import { folderLabel, formatListDate, messageHref } from "@/lib/web/format";
import { LocalTime } from "./local-time";

export function SideList({ folder, messages, current, now }: { folder: string; messages: MessageListItem[]; current: string; now: Date }) {
  return (
    <nav aria-label={`${folderLabel(folder)} messages`} className="hidden w-80 shrink-0 overflow-y-auto border-r border-slate-200 bg-white xl:block print:hidden" data-testid="side-list">
      <ul className="divide-y divide-slate-200">
        {messages.map((m) => {
          const active = m.id === current;
          return (
            <li key={m.id}>
              <Link
                href={messageHref(folder, m.id)}
                aria-current={active ? "page" : undefined}
                className={`block px-3 py-2 text-sm ${active ? "bg-blue-50" : "hover:bg-slate-50"} ${m.seen ? "text-slate-600" : "font-semibold text-slate-900"}`}
              >
                <span className="flex items-baseline gap-2">
                  <span className="min-w-0 flex-1 truncate">{m.fromName.trim() || m.fromAddress || "(unknown sender)"}</span>
                  <LocalTime iso={m.internalDate.toISOString()} mode="list" initial={formatListDate(m.internalDate, now)} className="shrink-0 text-xs text-slate-600" />
                </span>
                <span className="block truncate">{m.subject.trim() || "(no subject)"}</span>
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
