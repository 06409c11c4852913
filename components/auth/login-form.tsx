"use client";

import { useState, type FormEvent } from "react";
import { signIn } from "next-auth/react";

/** What the sign-in page says for each failure (the codes app/_lib/auth.ts throws). */
export function signInErrorMessage(code: string | null | undefined): string | null {
  switch (code) {
    case null:
    case undefined:
    case "":
      return null;
    case "invalid":
    case "CredentialsSignin":
      return "wrong email or password";
    case "locked":
      return "too many failed sign-ins from your address, try again later";
    case "disabled":
      return "this account is disabled; ask your administrator";
    case "second-factor":
      return null;
    default:
      return "sign-in failed, please try again";
  }
}

export function LoginForm({ callbackUrl, initialError }: { callbackUrl: string; initialError: string | null }) {
  const [error, setError] = useState<string | null>(signInErrorMessage(initialError));
  const [pending, setPending] = useState(false);
  // Set once the password was right and the account has two-factor sign-in on.
  const [needCode, setNeedCode] = useState(false);

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setPending(true);
    setError(null);
    try {
      const res = await signIn("credentials", {
        email: String(form.get("email") ?? ""),
        password: String(form.get("password") ?? ""),
        code: String(form.get("code") ?? ""),
        redirect: false,
        callbackUrl,
      });
      if (res?.ok && !res.error) {
        window.location.assign(callbackUrl);
        return; // keep the button busy while the inbox loads
      }
      if (res?.error === "second-factor") {
        setNeedCode(true);
      } else if (needCode && (res?.error === "invalid" || res?.error === "CredentialsSignin")) {
        setError("that code is not right; try the current one or a recovery code");
      } else {
        setError(signInErrorMessage(res?.error ?? "unavailable"));
      }
    } catch {
      setError(signInErrorMessage("unavailable"));
    }
    setPending(false);
  }

  return (
    <form onSubmit={onSubmit} method="post" className="space-y-5" noValidate>
      {error && (
        <p role="alert" data-testid="login-error" className="rounded-lg border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800 first-letter:uppercase">
          {error}
        </p>
      )}
      <div className="space-y-1.5">
        <label htmlFor="email" className="block text-sm font-medium text-slate-700">
          Email
        </label>
        <input
          id="email"
          name="email"
          type="email"
          autoComplete="username"
          required
          autoFocus
          className="block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-slate-900 shadow-sm outline-none focus:border-blue-500 focus:ring-2 focus:ring-blue-500/30"
        />
      </div>
      <div className="space-y-1.5">
        <label htmlFor="password" className="block text-sm font-medium text-slate-700">
          Password
        </label>
        <input
          id="password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          className="block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-slate-900 shadow-sm outline-none focus:border-blue-500 focus:ring-2 focus:ring-blue-500/30"
        />
      </div>
      {needCode && (
        <div className="space-y-1.5">
          <label htmlFor="code" className="block text-sm font-medium text-slate-700">
            Verification code
          </label>
          <input
            id="code"
            name="code"
            type="text"
            inputMode="text"
            autoComplete="one-time-code"
            autoFocus
            required
            aria-describedby="code-help"
            data-testid="login-code"
            className="block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 tracking-widest text-slate-900 shadow-sm outline-none focus:border-blue-500 focus:ring-2 focus:ring-blue-500/30"
          />
          <p id="code-help" className="text-xs text-slate-600">
            The 6-digit code from your authenticator app, or one of your recovery codes.
          </p>
        </div>
      )}
      <button
        type="submit"
        disabled={pending}
        className="flex w-full items-center justify-center rounded-lg bg-blue-600 px-4 py-2.5 font-medium text-white shadow-sm transition hover:bg-blue-700 focus:outline-none focus:ring-2 focus:ring-blue-500/50 disabled:cursor-wait disabled:opacity-70"
      >
        {pending ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}
