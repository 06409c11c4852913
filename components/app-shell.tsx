/**
 * The frame of every signed-in page: header (search box, address, Admin link for admins,
 * sign out), folder list, content; on mail pages the keyboard shortcuts and the undo toast.
 */
import Link from "next/link";
import type { ReactNode } from "react";
import type { SessionAccount } from "@/app/_lib/session";
import type { FolderInfo } from "@/lib/store/read";
import { SignOutButton } from "./auth/sign-out-button";
import { FolderList } from "./mail/folder-list";
import { MailIcon } from "./ui/icons";
import { Shortcuts } from "./mail/shortcuts";
import { UndoToast } from "./mail/undo-toast";
import { ThemePicker, type Theme } from "./theme-picker";
import { cookies } from "next/headers";

export async function AppShell({
  account,
  folders,
  currentFolder,
  section = "mail",
  query = "",
  children,
}: {
  account: SessionAccount;
  folders: FolderInfo[];
  currentFolder?: string;
  section?: "mail" | "setup" | "settings" | "admin";
  /** The search box's text (the search page shows its query). */
  query?: string;
  children: ReactNode;
}) {
  const theme = (await cookies()).get("theme")?.value;
  return (
    <div className="flex min-h-full flex-col">
      <header className="sticky top-0 z-20 border-b print:hidden border-slate-200 bg-white/95 backdrop-blur">
        <div className="flex h-14 items-center gap-3 px-3 sm:px-5">
          <Link prefetch={false} href="/mail/INBOX" className="flex items-center gap-2 font-semibold text-slate-800" aria-label="Mail home">
            <span className="flex h-8 w-8 items-center justify-center rounded-lg bg-blue-600 text-white">
              <MailIcon className="h-5 w-5" />
            </span>
            <span className="hidden text-lg sm:inline">Mail</span>
          </Link>
          <form role="search" action="/mail/search" className="min-w-0 flex-1 sm:max-w-xl">
            <label htmlFor="search-box" className="sr-only">
              Search mail
            </label>
            <input
              id="search-box"
              name="q"
              type="search"
              defaultValue={query}
              placeholder="Search mail (from: subject: has:attachment …)"
              autoComplete="off"
              className="w-full rounded-full border border-slate-200 bg-slate-100 px-4 py-1.5 text-sm text-slate-900 placeholder:text-slate-500 focus:border-blue-500 focus:bg-white focus:outline-none"
              data-testid="search-box"
            />
          </form>
          <nav className="flex items-center gap-1 text-sm" aria-label="Sections">
            <Link
              prefetch={false}
              href="/setup"
              data-testid="setup-link"
              className={`rounded-md px-2.5 py-1.5 font-medium ${section === "setup" ? "bg-slate-100 text-slate-900" : "text-slate-600 hover:bg-slate-100"}`}
            >
              Mail apps
            </Link>
            <Link
              prefetch={false}
              href="/settings"
              data-testid="settings-link"
              className={`rounded-md px-2.5 py-1.5 font-medium ${section === "settings" ? "bg-slate-100 text-slate-900" : "text-slate-600 hover:bg-slate-100"}`}
            >
              Settings
            </Link>
            {account.role === "admin" && (
              <Link
                prefetch={false}
                href="/admin"
                data-testid="admin-link"
                className={`rounded-md px-2.5 py-1.5 font-medium ${section === "admin" ? "bg-slate-100 text-slate-900" : "text-slate-600 hover:bg-slate-100"}`}
              >
                Admin
              </Link>
            )}
          </nav>
          <div className="ml-auto flex min-w-0 shrink-0 items-center gap-3">
            <ThemePicker initial={theme === "light" || theme === "dark" ? (theme as Theme) : "system"} />
            <span className="hidden min-w-0 truncate text-sm text-slate-600 sm:block" data-testid="account-email" title={account.displayName || account.email}>
              {account.email}
            </span>
            <span
              className="flex h-8 w-8 shrink-0 items-center justify-center rounded-full bg-indigo-100 text-sm font-semibold uppercase text-indigo-700 sm:hidden"
              title={account.email}
              aria-hidden="true"
            >
              {(account.displayName || account.email).slice(0, 1)}
            </span>
            <SignOutButton />
          </div>
        </div>
      </header>
      <div className="flex flex-1 flex-col md:flex-row">
        <aside className="print:hidden border-b border-slate-200 bg-white md:w-60 md:shrink-0 md:border-r md:border-b-0">
          <FolderList folders={folders} current={currentFolder} />
        </aside>
        <main className="min-w-0 flex-1">{children}</main>
      </div>
      {section === "mail" && (
        <>
          <Shortcuts />
          <UndoToast />
        </>
      )}
    </div>
  );
}
