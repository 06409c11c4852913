/**
 * Messages as the list's rows (what components/mail/mail-list.tsx shows): built on the
 * server, for the folder page's first slice, the search page and /api/message-list.
 */
import type { FolderInfo, MessageListItem } from "../store/read";
import { formatListDate, messageHref, personName } from "./format";

/** Rows in one slice of the virtual list: the page's first, and each one fetched. */
export const SLICE = 100;

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

function correspondent(m: MessageListItem, outgoing: boolean): string {
  if (outgoing) {
    const to = m.to.map(personName).join(", ");
    return to ? `To: ${to}` : "(no recipients)";
  }
  return m.fromName.trim() || m.fromAddress || "(unknown sender)";
}

const OUTGOING = new Set(["\\Sent", "\\Drafts"]);

export function toRows(messages: Array<MessageListItem & { mailboxName?: string }>, folder: Pick<FolderInfo, "name" | "specialUse"> | null, folders: FolderInfo[], now: Date): ListRow[] {
  const special = new Map(folders.map((f) => [f.name, f.specialUse]));
  return messages.map((m) => {
    const name = m.mailboxName ?? folder?.name ?? "";
    const outgoing = OUTGOING.has((folder ? folder.specialUse : special.get(name)) ?? "");
    return {
      id: m.id,
      href: messageHref(name, m.id),
      folder: name,
      who: correspondent(m, outgoing),
      subject: m.subject,
      snippet: m.snippet,
      iso: m.internalDate.toISOString(),
      initialDate: formatListDate(m.internalDate, now),
      seen: m.seen,
      flagged: m.flagged,
      hasAttachments: m.hasAttachments,
    };
  });
}
