import { apiRoute } from "@/app/_lib/session";
import { getStore, isMessageId } from "@/lib/web/mail";
import { getMessage } from "@/lib/store/read";
import { ATTACHMENT_CSP } from "@/lib/web/download";

type Context = { params: Promise<{ folder: string; id: string }> };

/**
 * "Show original": the message as stored, shown as plain text (never as markup: nosniff,
 * and a sandbox policy in case a browser renders it anyway); ?download=1 saves it as .eml.
 */
export const GET = apiRoute(async (req, ctx: Context, account) => {
  const { id } = await ctx.params;
  const message = isMessageId(id) ? await getMessage((await getStore()).db, account.id, id) : null;
  if (!message) return new Response("Not found\n", { status: 404, headers: { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff", "cache-control": "no-store" } });
  const raw = await (await getStore()).blobs.get(message.blobHash);
  const download = new URL(req.url).searchParams.get("download") === "1";
  return new Response(new Uint8Array(raw), {
    headers: {
      // RFC 5322 messages are mostly ASCII; 8-bit headers are UTF-8 in practice (RFC 6532).
      "content-type": download ? "message/rfc822" : "text/plain; charset=utf-8",
      "content-disposition": download ? `attachment; filename="message-${message.uid}.eml"` : "inline",
      "x-content-type-options": "nosniff",
      "content-security-policy": ATTACHMENT_CSP,
      "cache-control": "private, no-store",
    },
  });
});
