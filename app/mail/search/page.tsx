import type { Metadata } from "next";
import crypto from "node:crypto";
import { currentAccount, requireSession } from "@/app/_lib/session";
import { getStore, openedTitle } from "@/lib/web/mail";
import { listFolders } from "@/lib/store/read";
import { searchMail } from "@/lib/web/search";
import { firstParam, type SearchParams } from "@/lib/web/params";
import { AppShell } from "@/components/app-shell";
import { MailList } from "@/components/mail/mail-list";
import { moveTargets, toRows } from "@/components/mail/message-list";
import { MailboxWatcher } from "@/components/mail/mailbox-watcher";

type Props = { searchParams: Promise<SearchParams> };

export async function generateMetadata({ searchParams }: Props): Promise<Metadata> {
  const account = await currentAccount();
  const opened = account && (await openedTitle(account.id, firstParam((await searchParams).open)));
  if (opened) return { title: opened };
  const q = (firstParam((await searchParams).q) ?? "").trim();
  return { title: q ? `Search: ${q.slice(0, 80)}` : "Search" };
}

/** Results of the search box across folders (lib/web/search.ts), newest first, matches highlighted. */
export default async function SearchPage({ searchParams }: Props) {
  const q = (firstParam((await searchParams).q) ?? "").slice(0, 2000);
  const account = await requireSession(`/mail/search?q=${encodeURIComponent(q)}`);
  const { db, mail } = await getStore();
  const [folders, result] = await Promise.all([listFolders(db, account.id), q.trim() ? searchMail(mail, account.id, q) : null]);
  const now = new Date();

  return (
    <AppShell account={account} folders={folders} query={q}>
      <MailboxWatcher renderId={crypto.randomUUID()} inboxId={folders.find((f) => f.specialUse === "\\Inbox")?.id} />
      <div className="border-b border-slate-200 bg-white px-4 py-2.5" data-list-header="">
        <h1 className="text-lg font-semibold text-slate-800" data-testid="folder-title">
          Search
          {result && (
            <span className="ml-2 text-sm font-normal text-slate-500" data-testid="search-total">
              {result.total} result{result.total === 1 ? "" : "s"}
              {result.total > result.hits.length ? `, newest ${result.hits.length} shown` : ""}
            </span>
          )}
        </h1>
        {result?.missingFolder && <p className="mt-1 text-sm text-amber-800">There is no folder named “{result.missingFolder}”.</p>}
        {result && result.query.unknown.length > 0 && (
          <p className="mt-1 text-sm text-amber-800">Not understood, searched as words: {result.query.unknown.join(", ")}</p>
        )}
      </div>
      {result ? (
        <MailList
          rows={toRows(result.hits, null, folders, now)}
          total={result.total}
          allQuery={q}
          inJunk={false}
          showFolder
          highlight={result.query.highlight}
          moveTargets={moveTargets(folders)}
          empty={{ title: "No messages match", text: "Trash and Junk are searched only with in:anywhere, in:trash or in:junk." }}
        />
      ) : (
        <div className="px-6 py-10 text-sm text-slate-600">
          <p>Type in the search box above. Operators:</p>
          <p className="mt-2 font-mono text-xs">
            from: to: cc: subject: has:attachment filename: is:unread is:starred in:folder in:anywhere before:2026/01/31 after: older_than:7d newer_than:2m larger:5M smaller:
            &quot;exact words&quot; -word a OR b
          </p>
        </div>
      )}
    </AppShell>
  );
}
