import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { cache } from "react";
import crypto from "node:crypto";
import { requireSession, currentAccount } from "@/app/_lib/session";
import { getStore, openedTitle } from "@/lib/web/mail";
import { findFolder, listConversations, listFolders, PAGE_SIZE } from "@/lib/store/read";
import { listSlice, parseSort } from "@/lib/store/list-sort";
import { SLICE } from "@/lib/web/list-rows";
import { cookies } from "next/headers";
import { ViewToggle } from "@/components/mail/view-toggle";
import { MailList } from "@/components/mail/mail-list";
import { emptyState, folderQuery, moveTargets, toRows } from "@/components/mail/message-list";
import { folderHref, folderLabel } from "@/lib/web/format";
import { firstParam, folderFromParam, type SearchParams } from "@/lib/web/params";
import { AppShell } from "@/components/app-shell";
import { MessageList } from "@/components/mail/message-list";
import { Pagination } from "@/components/mail/pagination";
import { MailboxWatcher } from "@/components/mail/mailbox-watcher";
import { FolderMenu } from "@/components/mail/folder-tools";

type Props = { params: Promise<{ folder: string }>; searchParams: Promise<SearchParams> };

const folderInfo = cache(async (accountId: string, name: string) => findFolder((await getStore()).db, accountId, name));

export async function generateMetadata({ params, searchParams }: Props): Promise<Metadata> {
  const account = await currentAccount();
  if (!account) return {};
  const opened = await openedTitle(account.id, firstParam((await searchParams).open));
  if (opened) return { title: opened };
  const folder = await folderInfo(account.id, folderFromParam((await params).folder));
  if (!folder) return { title: "Not found" };
  return { title: `${folderLabel(folder.name)}${folder.unread > 0 ? ` (${folder.unread})` : ""}` };
}

export default async function FolderPage({ params, searchParams }: Props) {
  const name = folderFromParam((await params).folder);
  const sp = await searchParams;
  const account = await requireSession(folderHref(name));
  const { db } = await getStore();
  // Conversations or single messages: the user's choice (components/mail/view-toggle.tsx).
  const jar = await cookies();
  const threads = jar.get("listView")?.value === "threads";
  const sort = parseSort(jar.get("listSort")?.value);
  const [folders, page] = await Promise.all([
    listFolders(db, account.id),
    // Conversations come newest first only, a page at a time; messages scroll virtually from their first slice.
    threads ? listConversations(db, account.id, name, { cursor: firstParam(sp.c) }) : listSlice(db, account.id, name, { sort, limit: SLICE }),
  ]);
  if (!page) notFound();
  const now = new Date();
  const renderId = crypto.randomUUID();
  const pager =
    "items" in page
      ? { folder: page.folder.name, page: page.first ? 1 : 2, pageCount: page.older ? 3 : 2, pageSize: PAGE_SIZE, total: page.folder.total, prev: page.first ? null : "first", next: page.older, label: "Conversations" }
      : null;
  const more = "items" in page && (!page.first || page.older !== null);

  return (
    <AppShell account={account} folders={folders} currentFolder={page.folder.name}>
      <MailboxWatcher renderId={renderId} inboxId={folders.find((f) => f.specialUse === "\\Inbox")?.id} />
      <div className="flex flex-wrap items-center justify-between gap-3 border-b border-slate-200 bg-white px-4 py-2.5" data-list-header="">
        <h1 className="text-lg font-semibold text-slate-800" data-testid="folder-title">
          {folderLabel(page.folder.name)}
          {page.folder.unread > 0 && <span className="ml-2 text-sm font-normal text-slate-500">{page.folder.unread} unread</span>}
        </h1>
        {!page.folder.specialUse && <FolderMenu name={page.folder.name} total={page.folder.total} />}
        <ViewToggle threads={threads} sort={sort} />
        {pager ? (
          <Pagination {...pager} />
        ) : (
          <span className="text-sm tabular-nums text-slate-600" data-testid="list-total">
            {page.folder.total} message{page.folder.total === 1 ? "" : "s"}
          </span>
        )}
      </div>
      {"items" in page ? (
        <MailList
          rows={toRows(page.items, page.folder, folders, now).map((r, i) => ({ ...r, seen: !page.items[i].anyUnread, count: page.items[i].count, members: page.items[i].memberIds }))}
          total={page.folder.total}
          allQuery={folderQuery(page.folder.name)}
          inJunk={page.folder.specialUse === "\\Junk"}
          showFolder={false}
          highlight={[]}
          moveTargets={moveTargets(folders, page.folder.name)}
          empty={emptyState(page.folder)}
        />
      ) : (
        <MessageList
          folder={page.folder}
          folders={folders}
          messages={page.messages}
          now={now}
          virtual={{ folder: page.folder.name, sort, total: page.folder.total, next: page.next, version: renderId }}
        />
      )}
      {more && pager && (
        <div className="flex justify-end border-t border-slate-200 bg-white px-4 py-2" data-list-header="">
          <Pagination {...pager} />
        </div>
      )}
    </AppShell>
  );
}
