import type { Metadata } from "next";
import { notFound, redirect } from "next/navigation";
import { cache } from "react";
import crypto from "node:crypto";
import { currentAccount, requireSession } from "@/app/_lib/session";
import { getStore, imagesAllowedFor, messageSummary, openMessage } from "@/lib/web/mail";
import { getMessage, listFolders, listThread } from "@/lib/store/read";
import { listSlice, neighbourMessages, parseSort } from "@/lib/store/list-sort";
import { cookies } from "next/headers";
import { SideList } from "@/components/mail/side-list";
import { toRows } from "@/components/mail/message-list";
import { messageHref } from "@/lib/web/format";
import { firstParam, folderFromParam, type SearchParams } from "@/lib/web/params";
import { AppShell } from "@/components/app-shell";
import { OpenMessage } from "@/components/mail/open-message";
import { htmlDocument } from "@/lib/mime/render";
import { MailboxWatcher } from "@/components/mail/mailbox-watcher";

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
  const senderAllowed = head ? await imagesAllowedFor(account.id, head) : false;
  if (head && senderAllowed && !remoteImages) redirect(`${messageHref(head.mailboxName, head.id)}?images=1${view === "text" ? "&view=text" : ""}`);
  const opened = await load(account.id, id, remoteImages);
  if (!opened) notFound();
  const { message, rendered } = opened;
  if (message.mailboxName !== folder) redirect(messageHref(message.mailboxName, message.id));
  // The list's order (the user's choice, as the folder page reads it): j is the message below, k the one above.
  const sort = parseSort((await cookies()).get("listSort")?.value);
  const [folders, side, thread, adjacent] = await Promise.all([
    listFolders(db, account.id),
    listSlice(db, account.id, message.mailboxName, { sort, limit: 50 }),
    listThread(db, account.id, message.threadId),
    neighbourMessages(db, account.id, message.mailboxId, message, sort),
  ]);
  const href = (id: string | null) => (id ? messageHref(message.mailboxName, id) : null);
  const [below, above] = [adjacent.after, adjacent.before];

  return (
    <AppShell account={account} folders={folders} currentFolder={message.mailboxName}>
      <MailboxWatcher renderId={crypto.randomUUID()} inboxId={folders.find((f) => f.specialUse === "\\Inbox")?.id} />
      <div className="flex min-h-full">
        {side && <SideList folder={message.mailboxName} rows={toRows(side.messages, side.folder, folders, new Date())} current={message.id} />}
        <OpenMessage
          {...messageSummary(message, folders.find((f) => f.name === message.mailboxName)?.specialUse === "\\Junk")}
          date={message.sentDate ?? message.internalDate}
          rendered={rendered}
          srcDoc={htmlDocument(rendered.html ?? "", remoteImages)}
          thread={thread}
          view={view}
          remoteImages={remoteImages}
          senderAllowed={senderAllowed}
          now={new Date()}
          neighbours={{ next: href(below), prev: href(above) }}
        />
      </div>
    </AppShell>
  );
}
