import { apiRoute } from "@/app/_lib/session";
import { getStore, isMessageId } from "@/lib/web/mail";
import { sameOrigin } from "@/lib/web/compose-form";
import { undoSend } from "@/lib/compose/service";
import { log } from "@/lib/log";

const NO_STORE = { "cache-control": "no-store" };

/** Undo send: takes the account's pending send back and reopens it as a draft; 409 when it already left. */
export const POST = apiRoute(async (req, _ctx: unknown, account) => {
  if (!sameOrigin(req)) return Response.json({ error: "cross-site request refused" }, { status: 403, headers: NO_STORE });
  const body = (await req.json().catch(() => null)) as { id?: unknown } | null;
  const id = typeof body?.id === "string" ? body.id : "";
  if (!isMessageId(id)) return Response.json({ error: "no such send" }, { status: 404, headers: NO_STORE });
  const { config, db, mail } = await getStore();
  const r = await undoSend({ config, db, store: mail, log: log.child({ proc: "web" }) }, account, id);
  if (!r) return Response.json({ error: "Too late: the message has been sent" }, { status: 409, headers: NO_STORE });
  return Response.json(r, { headers: NO_STORE });
});
