/**
 * An open message with its toolbar and conversation: the message page's right-hand pane,
 * and the pane the list shows in place when a row is opened (mail-list.tsx, from
 * /api/messages/<id>). Imports nothing of the server's, so it renders on either side.
 */
import Link from "next/link";
import type { RenderedMessage } from "@/lib/mime/render";
import type { ThreadItem } from "@/lib/store/read";
import type { MessageSummary } from "@/lib/web/mail";
import { folderHref, folderLabel, messageHref } from "@/lib/web/format";
import { markUnreadAction } from "@/app/mail/actions";
import { ArrowLeftIcon, EnvelopeOpenIcon } from "../ui/icons";
import { MarkRead } from "./mark-read";
import { MessageActions, type ListNeighbours } from "./message-actions";
import { MessageView } from "./message-view";
import { Thread } from "./thread";

export interface OpenMessageProps extends MessageSummary {
  /** The Date header's, else the arrival's. */
  date: Date;
  rendered: RenderedMessage;
  srcDoc: string;
  thread: ThreadItem[];
  view: "html" | "text";
  remoteImages: boolean;
  /** The sender is on the account's "always show images" list. */
  senderAllowed?: boolean;
  now: Date;
  /** j / k: the messages below and above it in the list. */
  neighbours?: ListNeighbours;
  /** Back to the list without loading it again (the list's pane); absent: a link to the folder. */
  onBack?: () => void;
}

export function OpenMessage(p: OpenMessageProps) {
  const base = messageHref(p.folder, p.id);
  return (
    <div className="min-w-0 flex-1">
      <MarkRead messageId={p.id} seen={p.seen} />
      <div className="flex flex-wrap items-center gap-2 border-b border-slate-200 bg-white px-3 py-2 print:hidden">
        <Link
          prefetch={false}
          href={folderHref(p.folder)}
          onClick={
            p.onBack &&
            ((e) => {
              e.preventDefault();
              p.onBack!();
            })
          }
          className="flex items-center gap-2 rounded-full px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-100"
          data-testid="back-to-folder"
        >
          <ArrowLeftIcon className="h-4 w-4" />
          {folderLabel(p.folder)}
        </Link>
        <MessageActions id={p.id} messageHref={base} folderHref={folderHref(p.folder)} flagged={p.flagged} inJunk={p.inJunk} neighbours={p.neighbours} />
        <form action={markUnreadAction} className="ml-auto">
          <input type="hidden" name="id" value={p.id} />
          <button type="submit" className="flex items-center gap-2 rounded-full px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-100" data-testid="mark-unread">
            <EnvelopeOpenIcon className="h-4 w-4" />
            Mark as unread
          </button>
        </form>
      </div>
      <div className="p-3 sm:p-6">
        <Thread items={p.thread} current={p.id} now={p.now} />
        <MessageView
          rendered={p.rendered}
          fallbackSubject={p.subject}
          fallbackDate={p.date}
          view={p.view}
          viewHref={(v) => (v === "text" ? `${base}?view=text` : base)}
          attachmentHref={(i) => `${base}/attachments/${i}`}
          messageId={p.id}
          imagesHref={p.remoteImages ? undefined : `${base}?images=1`}
          remoteImages={p.remoteImages}
          senderAllowed={p.senderAllowed}
          srcDoc={p.srcDoc}
        />
      </div>
    </div>
  );
}
