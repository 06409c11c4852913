import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { currentAccount, safeCallbackPath } from "@/app/_lib/session";
import { LoginForm } from "@/components/auth/login-form";
import { MailIcon } from "@/components/ui/icons";

export const metadata: Metadata = { title: "Sign in" };

type SearchParams = Record<string, string | string[] | undefined>;
const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

export default async function LoginPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const sp = await searchParams;
  // "/" only redirects to the Inbox: going there straight saves a round trip after signing in.
  const callback = safeCallbackPath(first(sp.callbackUrl));
  const callbackUrl = callback === "/" ? "/mail/INBOX" : callback;
  // Signed in already (the session row is checked, not just the cookie): go on.
  if (await currentAccount()) redirect(callbackUrl);
  return (
    <main className="flex min-h-full items-center justify-center bg-gradient-to-b from-slate-100 to-slate-200 p-4">
      <div className="w-full max-w-sm">
        <div className="mb-6 flex flex-col items-center gap-3 text-center">
          <span className="flex h-12 w-12 items-center justify-center rounded-2xl bg-blue-600 text-white shadow-md">
            <MailIcon className="h-7 w-7" />
          </span>
          <h1 className="text-2xl font-semibold text-slate-900">Sign in to Mail</h1>
          <p className="text-sm text-slate-600">Use your email address and password.</p>
        </div>
        <div className="rounded-2xl border border-slate-200 bg-white p-6 shadow-sm">
          <LoginForm callbackUrl={callbackUrl} initialError={first(sp.error) ?? null} />
        </div>
      </div>
    </main>
  );
}
