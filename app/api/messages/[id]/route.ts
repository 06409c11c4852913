import { apiRoute } from "@/app/_lib/session";
import { openMessagePane } from "@/lib/web/mail";

/** One of the signed-in account's messages for the list's pane (lib/web/mail.ts openMessagePane); opening marks nothing read. */
export const GET = apiRoute(async (_req, ctx: { params: Promise<{ id: string }> }, account) => {
  const pane = await openMessagePane(account.id, (await ctx.params).id);
  if (!pane) return Response.json({ error: "no such message" }, { status: 404, headers: { "cache-control": "no-store" } });
  return Response.json(pane, { headers: { "cache-control": "no-store" } });
});
