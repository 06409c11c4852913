import { apiRoute } from "@/app/_lib/session";
import { getStore, openMessage } from "@/lib/web/mail";
import { parseComposeForm, sameOrigin } from "@/lib/web/compose-form";
import { saveDraft, sendComposed } from "@/lib/compose/service";
import { SubmissionRefused } from "@/lib/submission";
import { isStoreError } from "@/lib/store";
import { log } from "@/lib/log";

const NO_STORE = { "cache-control": "no-store" };

/** Saves a draft (action=save) or sends (action=send) the signed-in account's compose form. */
export const POST = apiRoute(async (req, _ctx: unknown, account) => {
  if (!sameOrigin(req)) return Response.json({ error: "cross-site request refused" }, { status: 403, headers: NO_STORE });
  const { config, db, mail } = await getStore();
  const declared = Number(req.headers.get("content-length") ?? 0);
  if (declared > config.maxMessageSize * 1.1 + 1048576) return Response.json({ error: `The message is larger than the limit of ${config.maxMessageSize} bytes` }, { status: 413, headers: NO_STORE });
  let form: FormData;
  try {
    form = await req.formData();
  } catch {
    return Response.json({ error: "malformed form" }, { status: 400, headers: NO_STORE });
  }
  const fields = await parseComposeForm(form);
  const deps = { config, db, store: mail, log: log.child({ proc: "web" }) };
  try {
    if (form.get("action") === "send") return Response.json(await sendComposed(deps, account, fields), { headers: NO_STORE });
    const { draftId } = await saveDraft(deps, account, fields);
    // The new version's attachments, which the form keeps by index from now on.
    const opened = await openMessage(account.id, draftId);
    const attachments = (opened?.rendered.attachments ?? []).filter((a) => !a.inline).map((a) => ({ index: a.index, filename: a.filename, size: a.size }));
    return Response.json({ draftId, attachments }, { headers: NO_STORE });
  } catch (err) {
    if (err instanceof SubmissionRefused) return Response.json({ error: err.message, code: `${err.code} ${err.enhanced}` }, { status: err.code === 552 ? 413 : 422, headers: NO_STORE });
    if (isStoreError(err, "over-quota")) return Response.json({ error: "Your mailbox is full" }, { status: 507, headers: NO_STORE });
    deps.log.error("compose.failed", { user: account.email, error: err });
    return Response.json({ error: "Could not save or send; try again" }, { status: 500, headers: NO_STORE });
  }
});
