import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { cache } from "react";
import crypto from "node:crypto";
import { requireSession, currentAccount } from "@/app/_lib/session";
import { getStore } from "@/lib/web/mail";
import { findFolder, listFolders, listMessages } from "@/lib/store/read";
import { folderHref, folderLabel } from "@/lib/web/format";
import { firstParam, folderFromParam, type SearchParams } from "@/lib/web/params";
import { AppShell } from "@/components/app-shell";
import { MessageList } from "@/components/mail/message-list";
import { Pagination } from "@/components/mail/pagination";
import { MailboxWatcher } from "@/components/mail/mailbox-watcher";
import { FolderMenu } from "@/components/mail/folder-tools";

type Props = { params: Promise<{ folder: string }>; searchParams: Promise<SearchParams> };

const folderInfo = cache(async (accountId: string, name: string) => findFolder((await getStore()).db, accountId, name));

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const account = await currentAccount();
  if (!account) return {};
  const folder = await folderInfo(account.id, folderFromParam((await params).folder));
  if (!folder) return { title: "Not found" };
  return { title: `${folderLabel(folder.name)}${folder.unread > 0 ? ` (${folder.unread})` : ""}` };
}

export default async function FolderPage({ params, searchParams }: Props) {
  const name = folderFromParam((await params).folder);
  const sp = await searchParams;
  const account = await requireSession(folderHref(name));
  const { db } = await getStore();
  const [folders, page] = await Promise.all([listFolders(db, account.id), listMessages(db, account.id, name, { page: firstParam(sp.page), cursor: firstParam(sp.c) })]);
  if (!page) notFound();
  const pager = { folder: page.folder.name, page: page.page, pageCount: page.pageCount, pageSize: page.pageSize, total: page.total, newer: page.newer, older: page.older };

  return (
    <AppShell account={account} folders={folders} currentFolder={page.folder.name}>
      <MailboxWatcher renderId={crypto.randomUUID()} />
      <div className="flex items-center justify-between gap-3 border-b border-slate-200 bg-white px-4 py-2.5">
        <h1 className="text-lg font-semibold text-slate-800" data-testid="folder-title">
          {folderLabel(page.folder.name)}
          {page.folder.unread > 0 && <span className="ml-2 text-sm font-normal text-slate-500">{page.folder.unread} unread</span>}
        </h1>
        {!page.folder.specialUse && <FolderMenu name={page.folder.name} total={page.folder.total} />}
        <Pagination {...pager} />
      </div>
      <MessageList folder={page.folder} folders={folders} messages={page.messages} now={new Date()} />
      {page.pageCount > 1 && (
        <div className="flex justify-end border-t border-slate-200 bg-white px-4 py-2">
          <Pagination {...pager} />
        </div>
      )}
    </AppShell>
  );
}
