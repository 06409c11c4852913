import Link from "next/link";
import type { FolderInfo } from "@/lib/store/read";
import { folderHref, folderLabel } from "@/lib/web/format";
import { ArchiveIcon, DraftIcon, FolderIcon, InboxIcon, JunkIcon, SentIcon, TrashIcon } from "../ui/icons";

const ICONS: Record<string, typeof InboxIcon> = {
  "\\Inbox": InboxIcon,
  "\\Drafts": DraftIcon,
  "\\Sent": SentIcon,
  "\\Archive": ArchiveIcon,
  "\\Junk": JunkIcon,
  "\\Trash": TrashIcon,
};

/** Folders with unread counts; a row on small screens, a column from md up. */
export function FolderList({ folders, current }: { folders: FolderInfo[]; current?: string }) {
  return (
    <nav aria-label="Folders" className="overflow-x-auto md:overflow-visible">
      <ul className="flex gap-1 p-2 md:flex-col md:gap-0.5 md:p-3">
        {folders.map((f) => {
          const Icon = (f.specialUse && ICONS[f.specialUse]) || FolderIcon;
          const active = current === f.name;
          const showCount = f.unread > 0;
          return (
            <li key={f.id} className="shrink-0">
              <Link
                href={folderHref(f.name)}
                aria-current={active ? "page" : undefined}
                data-testid={`folder-${f.name}`}
                className={`flex items-center gap-3 rounded-full px-3 py-1.5 text-sm md:rounded-r-full md:rounded-l-md ${
                  active ? "bg-blue-100 font-semibold text-blue-900" : "text-slate-700 hover:bg-slate-100"
                } ${f.unread > 0 ? "font-semibold" : ""}`}
              >
                <Icon className={`h-5 w-5 shrink-0 ${active ? "text-blue-700" : "text-slate-500"}`} />
                <span className="truncate">{folderLabel(f.name)}</span>
                {showCount && (
                  <span className="ml-auto pl-2 text-xs font-semibold tabular-nums" data-testid={`unread-${f.name}`} aria-label={`${f.unread} unread`}>
                    {f.unread}
                  </span>
                )}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
