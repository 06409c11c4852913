/**
 * The open message's conversation: the other messages of its thread from every folder
 * (your replies in Sent among them), oldest first, each a link; the open one marked.
 */
import Link from "next/link";
import type { ThreadItem } from "@/lib/store/read";
import { folderLabel, formatListDate, messageHref } from "@/lib/web/format";
import { LocalTime } from "./local-time";

export function Thread({ items, current, now }: { items: ThreadItem[]; current: string; now: Date }) {
  if (items.length < 2) return null;
  return (
    <section aria-labelledby="thread-heading" className="mx-auto mb-4 max-w-5xl rounded-xl border border-slate-200 bg-white" data-testid="thread">
      <h2 id="thread-heading" className="border-b border-slate-200 px-4 py-2 text-sm font-semibold text-slate-700">
        Conversation · {items.length} messages
      </h2>
      <ol className="divide-y divide-slate-200">
        {items.map((m) => {
          const open = m.id === current;
          return (
            <li key={m.id}>
              <Link
                prefetch={false}
                href={messageHref(m.mailboxName, m.id)}
                aria-current={open ? "page" : undefined}
                className={`flex items-baseline gap-3 px-4 py-2 text-sm ${open ? "bg-blue-50" : "hover:bg-slate-50"}`}
                data-testid="thread-item"
              >
                <span className={`w-40 shrink-0 truncate ${m.seen ? "text-slate-700" : "font-semibold text-slate-900"}`}>{m.fromName.trim() || m.fromAddress || "(unknown sender)"}</span>
                <span className="shrink-0 rounded bg-slate-200 px-1.5 py-0.5 text-xs text-slate-700">{folderLabel(m.mailboxName)}</span>
                <span className="min-w-0 flex-1 truncate text-slate-600">{m.snippet || m.subject}</span>
                <LocalTime iso={m.internalDate.toISOString()} mode="list" initial={formatListDate(m.internalDate, now)} className="shrink-0 text-xs text-slate-600" />
              </Link>
            </li>
          );
        })}
      </ol>
    </section>
  );
}
