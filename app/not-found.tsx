import Link from "next/link";

export default function NotFound() {
  return (
    <main className="flex min-h-full items-center justify-center p-6">
      <div className="max-w-md rounded-2xl border border-slate-200 bg-white p-8 text-center shadow-sm" data-testid="not-found">
        <p className="text-5xl font-bold text-slate-300">404</p>
        <h1 className="mt-3 text-lg font-semibold text-slate-800">Not found</h1>
        <p className="mt-1 text-sm text-slate-600">This page or message does not exist, or it is not yours.</p>
        <Link href="/mail/INBOX" className="mt-6 inline-block rounded-lg bg-blue-600 px-4 py-2 text-sm font-medium text-white hover:bg-blue-700">
          Back to Inbox
        </Link>
      </div>
    </main>
  );
}
