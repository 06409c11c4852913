/** A folder's messages, Gmail-style rows: sender, subject and snippet, date; unread rows bold. */
import Link from "next/link";
import type { FolderInfo, MessageListItem } from "@/lib/store/read";
import { folderLabel, formatListDate, messageHref, personName } from "@/lib/web/format";
import { LocalTime } from "./local-time";
import { PaperclipIcon, StarIcon } from "../ui/icons";

function correspondent(m: MessageListItem, outgoing: boolean): string {
  if (outgoing) {
    const to = m.to.map(personName).join(", ");
    return to ? `To: ${to}` : "(no recipients)";
  }
  return m.fromName.trim() || m.fromAddress || "(unknown sender)";
}

export function MessageList({ folder, messages, now }: { folder: FolderInfo; messages: MessageListItem[]; now: Date }) {
  if (messages.length === 0) {
    return (
      <div className="px-6 py-16 text-center text-slate-500" data-testid="empty-folder">
        <p className="text-base font-medium text-slate-600">No messages in {folderLabel(folder.name)}</p>
        <p className="mt-1 text-sm">New mail will show up here.</p>
      </div>
    );
  }
  const outgoing = folder.specialUse === "\\Sent" || folder.specialUse === "\\Drafts";
  return (
    <ul className="divide-y divide-slate-200" data-testid="message-list">
      {messages.map((m) => {
        const unread = !m.seen;
        const date = m.internalDate;
        return (
          <li key={m.id}>
            <Link
              href={messageHref(folder.name, m.id)}
              prefetch={false}
              data-testid="message-row"
              data-unread={unread ? "true" : "false"}
              className={`group flex flex-col gap-0.5 px-4 py-2.5 transition hover:z-10 hover:shadow-[inset_0_-1px_0_#e2e8f0,0_1px_3px_rgba(15,23,42,0.12)] sm:flex-row sm:items-center sm:gap-3 ${
                unread ? "bg-white text-slate-900" : "bg-slate-50 text-slate-600"
              }`}
            >
              <div className="flex min-w-0 items-center gap-2 sm:w-56 sm:shrink-0">
                <span className={`h-2 w-2 shrink-0 rounded-full ${unread ? "bg-blue-600" : "bg-transparent"}`} aria-hidden="true" />
                {m.flagged && <StarIcon className="h-4 w-4 shrink-0 fill-amber-400 text-amber-500" aria-label="Starred" />}
                <span className={`truncate ${unread ? "font-bold" : "font-normal"}`} data-testid="message-sender">
                  {correspondent(m, outgoing)}
                </span>
                <LocalTime
                  iso={date.toISOString()}
                  mode="list"
                  initial={formatListDate(date, now)}
                  className={`ml-auto shrink-0 pl-2 text-xs sm:hidden ${unread ? "font-bold text-slate-900" : "text-slate-500"}`}
                />
              </div>
              <div className="min-w-0 flex-1 truncate pl-4 text-sm sm:pl-0">
                <span className={unread ? "font-bold" : "font-normal"} data-testid="message-subject">
                  {m.subject.trim() || "(no subject)"}
                </span>
                {m.snippet && <span className="font-normal text-slate-500"> — {m.snippet}</span>}
              </div>
              <div className="hidden shrink-0 items-center gap-2 sm:flex">
                {m.hasAttachments && <PaperclipIcon className="h-4 w-4 text-slate-500" aria-label="Has attachments" />}
                <LocalTime
                  iso={date.toISOString()}
                  mode="list"
                  initial={formatListDate(date, now)}
                  className={`w-20 text-right text-xs tabular-nums ${unread ? "font-bold text-slate-900" : "text-slate-500"}`}
                />
              </div>
            </Link>
          </li>
        );
      })}
    </ul>
  );
}
