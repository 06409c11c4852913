import Link from "next/link";
import type { FolderInfo } from "@/lib/store/read";
import { folderHref, folderLabel } from "@/lib/web/format";
import { FolderDrop, NewFolder } from "./folder-tools";
import { ArchiveIcon, DraftIcon, FolderIcon, InboxIcon, JunkIcon, SentIcon, TrashIcon } from "../ui/icons";

const ICONS: Record<string, typeof InboxIcon> = {
  "\\Inbox": InboxIcon,
  "\\Drafts": DraftIcon,
  "\\Sent": SentIcon,
  "\\Archive": ArchiveIcon,
  "\\Junk": JunkIcon,
  "\\Trash": TrashIcon,
};

/**
 * Folders with unread counts, special-use first, then the user's own as a tree (a child
 * under its parent, indented); each a drop target for dragged messages. A row on small
 * screens, faded at its end so it is clear more folders follow; a column from md up.
 */
export function FolderList({ folders, current }: { folders: FolderInfo[]; current?: string }) {
  const special = folders.filter((f) => f.specialUse);
  // Sorted by full name, a parent comes right before its children ("/" sorts before letters and digits).
  const own = folders.filter((f) => !f.specialUse).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return (
    <nav aria-label="Folders" className="relative">
      <ul className="flex gap-1 overflow-x-auto p-2 pr-10 md:flex-col md:gap-0.5 md:overflow-visible md:p-3" data-testid="folder-bar">
        {[...special, ...own].map((f) => {
          const Icon = (f.specialUse && ICONS[f.specialUse]) || FolderIcon;
          const active = current === f.name;
          const showCount = f.unread > 0;
          return (
            <FolderDrop key={f.id} name={f.name}>
              <Link
                prefetch={false}
                href={folderHref(f.name)}
                aria-current={active ? "page" : undefined}
                data-testid={`folder-${f.name}`}
                className={`flex items-center gap-3 rounded-full px-3 py-1.5 text-sm md:rounded-r-full md:rounded-l-md ${
                  active ? "bg-blue-100 font-semibold text-blue-900" : "text-slate-700 hover:bg-slate-100"
                } ${f.unread > 0 ? "font-semibold" : ""}`}
              >
                <Icon className={`h-5 w-5 shrink-0 ${active ? "text-blue-700" : "text-slate-500"}`} />
                <span className="truncate" style={{ paddingLeft: `${depth(f.name) * 0.75}rem` }} title={f.name}>
                  {f.specialUse ? folderLabel(f.name) : leaf(f.name)}
                </span>
                {showCount && (
                  <span className="ml-auto pl-2 text-xs font-semibold tabular-nums" data-testid={`unread-${f.name}`} aria-label={`${f.unread} unread`}>
                    {f.unread}
                  </span>
                )}
              </Link>
            </FolderDrop>
          );
        })}
      </ul>
      <div className="pointer-events-none absolute inset-y-0 right-0 w-10 bg-gradient-to-l from-white md:hidden" aria-hidden="true" />
      <NewFolder />
    </nav>
  );
}

const depth = (name: string) => name.split("/").length - 1;
const leaf = (name: string) => name.slice(name.lastIndexOf("/") + 1);
