import type { Metadata } from "next";
import Link from "next/link";
import { notFound, redirect } from "next/navigation";
import { cache } from "react";
import crypto from "node:crypto";
import { currentAccount, requireSession } from "@/app/_lib/session";
import { getStore, openMessage } from "@/lib/web/mail";
import { getMessage, listFolders, listMessages, listThread } from "@/lib/store/read";
import { isImageSender } from "@/lib/web/image-senders";
import { Thread } from "@/components/mail/thread";
import { SideList } from "@/components/mail/side-list";
import { folderHref, folderLabel, messageHref } from "@/lib/web/format";
import { firstParam, folderFromParam, type SearchParams } from "@/lib/web/params";
import { AppShell } from "@/components/app-shell";
import { MessageView } from "@/components/mail/message-view";
import { MailboxWatcher } from "@/components/mail/mailbox-watcher";
import { MarkRead } from "@/components/mail/mark-read";
import { MessageActions } from "@/components/mail/message-actions";
import { ArrowLeftIcon, EnvelopeOpenIcon } from "@/components/ui/icons";
import { markUnreadAction } from "../../actions";

type Props = { params: Promise<{ folder: string; id: string }>; searchParams: Promise<SearchParams> };

/** Cached so metadata and page share one load per request; loading changes nothing (MarkRead does, once shown). */
const load = cache((accountId: string, id: string, remoteImages: boolean) => openMessage(accountId, id, { remoteImages }));

/** ?images=1: the reader asked for this message's remote images (proxy.ts widens img-src for it). */
const wantsImages = (sp: SearchParams) => firstParam(sp.images) === "1";

export async function generateMetadata({ params, searchParams }: Props): Promise<Metadata> {
  const account = await currentAccount();
  if (!account) return {};
  // The same arguments as the page's load, so both share one render of the message.
  const opened = await load(account.id, (await params).id, wantsImages(await searchParams));
  return { title: opened ? opened.message.subject.trim() || "(no subject)" : "Not found" };
}

export default async function MessagePage({ params, searchParams }: Props) {
  const { folder: folderParam, id } = await params;
  const folder = folderFromParam(folderParam);
  const account = await requireSession(messageHref(folder, id));
  const sp = await searchParams;
  const remoteImages = wantsImages(sp);
  const view = firstParam(sp.view) === "text" ? "text" : "html";
  const db = (await getStore()).db;
  // A sender on the account's "always show images" list: the page is asked again with
  // ?images=1, so proxy.ts widens the page's img-src for it as for "Show images".
  const head = await getMessage(db, account.id, id);
  const senderAllowed = head ? await isImageSender(db, account.id, head.fromAddress) : false;
  if (head && senderAllowed && !remoteImages) redirect(`${messageHref(head.mailboxName, head.id)}?images=1${view === "text" ? "&view=text" : ""}`);
  const opened = await load(account.id, id, remoteImages);
  if (!opened) notFound();
  const { message, rendered } = opened;
  if (message.mailboxName !== folder) redirect(messageHref(message.mailboxName, message.id));
  const [folders, side, thread] = await Promise.all([
    listFolders(db, account.id),
    listMessages(db, account.id, message.mailboxName),
    listThread(db, account.id, message.threadId),
  ]);
  const base = messageHref(message.mailboxName, message.id);

  return (
    <AppShell account={account} folders={folders} currentFolder={message.mailboxName}>
      <MailboxWatcher renderId={crypto.randomUUID()} inboxId={folders.find((f) => f.specialUse === "\\Inbox")?.id} />
      <MarkRead messageId={message.id} seen={message.seen} />
      <div className="flex min-h-full">
        {side && <SideList folder={message.mailboxName} messages={side.messages} current={message.id} now={new Date()} />}
        <div className="min-w-0 flex-1">
          <div className="flex flex-wrap items-center gap-2 border-b border-slate-200 bg-white px-3 py-2 print:hidden">
            <Link
              href={folderHref(message.mailboxName)}
              className="flex items-center gap-2 rounded-full px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-100"
              data-testid="back-to-folder"
            >
              <ArrowLeftIcon className="h-4 w-4" />
              {folderLabel(message.mailboxName)}
            </Link>
            <MessageActions id={message.id} messageHref={base} folderHref={folderHref(message.mailboxName)} flagged={message.flagged} inJunk={folders.find((f) => f.name === message.mailboxName)?.specialUse === "\\Junk"} />
            <form action={markUnreadAction} className="ml-auto">
              <input type="hidden" name="id" value={message.id} />
              <button type="submit" className="flex items-center gap-2 rounded-full px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-100" data-testid="mark-unread">
                <EnvelopeOpenIcon className="h-4 w-4" />
                Mark as unread
              </button>
            </form>
          </div>
          <div className="p-3 sm:p-6">
            <Thread items={thread} current={message.id} now={new Date()} />
            <MessageView
              rendered={rendered}
              fallbackSubject={message.subject}
              fallbackDate={message.sentDate ?? message.internalDate}
              view={view}
              viewHref={(v) => (v === "text" ? `${base}?view=text` : base)}
              attachmentHref={(i) => `${base}/attachments/${i}`}
              messageId={message.id}
              imagesHref={remoteImages ? undefined : `${base}?images=1`}
              remoteImages={remoteImages}
              senderAllowed={senderAllowed}
            />
          </div>
        </div>
      </div>
    </AppShell>
  );
}
