import { apiRoute } from "@/app/_lib/session";
import { getStore } from "@/lib/web/mail";
import { suggestContacts } from "@/lib/compose/contacts";

/** Recipient suggestions for the compose form, from the signed-in account's own mail only. */
export const GET = apiRoute(async (req, _ctx: unknown, account) => {
  const q = new URL(req.url).searchParams.get("q") ?? "";
  const { db } = await getStore();
  return Response.json({ contacts: await suggestContacts(db, account.id, q) }, { headers: { "cache-control": "no-store" } });
});
