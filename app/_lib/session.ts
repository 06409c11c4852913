/**
 * The one access check of the web app. Every page, route handler and server action
 * asks currentAccount() (through requireSession(), requireAdmin() or apiRoute()); the
 * proxy (proxy.ts) only turns away requests without a session cookie early.
 *
 * A request is signed in when its next-auth JWT verifies AND the WebSession row it
 * names still exists, has not expired and belongs to an enabled account: so signing
 * out, disabling or deleting an account takes effect on the next request.
 */
import { cache } from "react";
import { getServerSession } from "next-auth";
import { notFound, redirect } from "next/navigation";
import { getDb } from "@/lib/db/client";
import { authOptions } from "./auth";
import { findSessionAccount, type SessionAccount } from "@/lib/web/web-sessions";
import { safeCallbackPath } from "@/lib/web/params";

export type { SessionAccount };
export { safeCallbackPath };

/** The signed-in account of this request, or null. Cached per request. */
export const currentAccount = cache(async (): Promise<SessionAccount | null> => {
  const session = await getServerSession(authOptions());
  const sid = session?.sid;
  const accountId = session?.user?.id;
  if (!sid || !accountId) return null;
  return findSessionAccount(await getDb(), sid, accountId);
});

/** For pages and server actions: the account, or a redirect to the sign-in page. */
export async function requireSession(returnTo?: string): Promise<SessionAccount> {
  const account = await currentAccount();
  if (!account) {
    const back = returnTo ? safeCallbackPath(returnTo) : "/";
    redirect(back === "/" ? "/login" : `/login?callbackUrl=${encodeURIComponent(back)}`);
  }
  return account;
}

/** For admin pages: the admin account; anyone else gets the 404 page (the page does not exist for them). */
export async function requireAdmin(returnTo?: string): Promise<SessionAccount> {
  const account = await requireSession(returnTo);
  if (account.role !== "admin") notFound();
  return account;
}

const NO_STORE = { "cache-control": "no-store" };

/** For route handlers: runs the handler with the account, or answers 401 without a session. */
export function apiRoute<Ctx>(handler: (req: Request, ctx: Ctx, account: SessionAccount) => Promise<Response>) {
  return async (req: Request, ctx: Ctx): Promise<Response> => {
    const account = await currentAccount();
    if (!account) return Response.json({ error: "not signed in" }, { status: 401, headers: NO_STORE });
    return handler(req, ctx, account);
  };
}
