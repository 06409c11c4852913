/**
 * The folder's newest messages beside an open message on wide screens (the middle of
 * three panes: folders, list, message); hidden on narrower ones, where one pane shows.
 * Rendered by the message page, and by the list's pane (list-pane.tsx) from its own rows,
 * where a click opens the message in the pane (`onOpen`).
 */
import Link from "next/link";
import { folderLabel } from "@/lib/web/format";
import type { ListRow } from "./mail-list";
import { LocalTime } from "./local-time";

export function SideList({ folder, rows, current, onOpen }: { folder: string; rows: ListRow[]; current: string; onOpen?: (row: ListRow) => void }) {
  return (
    <nav aria-label={`${folderLabel(folder)} messages`} className="hidden w-80 shrink-0 overflow-y-auto border-r border-slate-200 bg-white xl:block print:hidden" data-testid="side-list">
      <ul className="divide-y divide-slate-200">
        {rows.map((m) => {
          const active = m.id === current;
          return (
            <li key={m.id}>
              <Link
                prefetch={false}
                href={m.href}
                onClick={
                  onOpen &&
                  ((e) => {
                    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
                    e.preventDefault();
                    onOpen(m);
                  })
                }
                aria-current={active ? "page" : undefined}
                className={`block px-3 py-2 text-sm ${active ? "bg-blue-50" : "hover:bg-slate-50"} ${m.seen ? "text-slate-600" : "font-semibold text-slate-900"}`}
              >
                <span className="flex items-baseline gap-2">
                  <span className="min-w-0 flex-1 truncate">{m.who}</span>
                  <LocalTime iso={m.iso} mode="list" initial={m.initialDate} className="shrink-0 text-xs text-slate-600" />
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
