"use client";

import Link from "next/link";

export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <main className="flex min-h-full items-center justify-center p-6">
      <div className="max-w-md rounded-2xl border border-slate-200 bg-white p-8 text-center shadow-sm" role="alert">
        <h1 className="text-lg font-semibold text-slate-800">Something went wrong</h1>
        <p className="mt-1 text-sm text-slate-600">The page could not be shown. Try again in a moment.</p>
        {error.digest && <p className="mt-2 font-mono text-xs text-slate-400">ref {error.digest}</p>}
        <div className="mt-6 flex justify-center gap-2">
          <button type="button" onClick={reset} className="rounded-lg border border-slate-300 px-4 py-2 text-sm font-medium text-slate-700 hover:bg-slate-50">
            Try again
          </button>
          <Link href="/mail/INBOX" className="rounded-lg bg-blue-600 px-4 py-2 text-sm font-medium text-white hover:bg-blue-700">
            Inbox
          </Link>
        </div>
      </div>
    </main>
  );
}
