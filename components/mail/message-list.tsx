/** A folder's page or a search's results as list rows (server side), shown by MailList (client). */
import type { FolderInfo, MessageListItem } from "@/lib/store/read";
import { folderLabel } from "@/lib/web/format";
import { toRows } from "@/lib/web/list-rows";
import { MailList } from "./mail-list";
import type { VirtualSource } from "./virtual-rows";

export { toRows };

/** What an empty folder says: Trash and Junk are not where new mail shows up. */
export function emptyState(folder: Pick<FolderInfo, "name" | "specialUse">): { title: string; text: string } {
  const label = folderLabel(folder.name);
  switch (folder.specialUse) {
    case "\\Inbox":
      return { title: "Your Inbox is empty", text: "New mail will show up here." };
    case "\\Trash":
      return { title: "Trash is empty", text: "Messages you delete go here." };
    case "\\Junk":
      return { title: "No junk", text: "Messages marked as junk go here." };
    case "\\Sent":
      return { title: "Nothing sent yet", text: "Messages you send are kept here." };
    case "\\Drafts":
      return { title: "No drafts", text: "Messages you start and do not send yet are kept here." };
    case "\\Archive":
      return { title: "Archive is empty", text: "Archive messages (e) to keep them out of the Inbox." };
    default:
      return { title: `No messages in ${label}`, text: "Move messages here from the list, or drag them onto the folder." };
  }
}

export function moveTargets(folders: FolderInfo[], except?: string) {
  return folders.filter((f) => f.name !== except).map((f) => ({ name: f.name, label: folderLabel(f.name) }));
}

/** The query that selects every message of a folder (for "select all N"). */
export function folderQuery(name: string): string {
  return `in:"${name.replace(/"/g, "")}"`;
}

export function MessageList({
  folder,
  folders,
  messages,
  now,
  virtual,
}: {
  folder: FolderInfo;
  folders: FolderInfo[];
  messages: MessageListItem[];
  now: Date;
  virtual?: VirtualSource;
}) {
  return (
    <MailList
      rows={toRows(messages, folder, folders, now)}
      total={folder.total}
      allQuery={folderQuery(folder.name)}
      inJunk={folder.specialUse === "\\Junk"}
      showFolder={false}
      highlight={[]}
      moveTargets={moveTargets(folders, folder.name)}
      empty={emptyState(folder)}
      virtual={virtual}
    />
  );
}
