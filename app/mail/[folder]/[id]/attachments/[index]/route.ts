import { apiRoute } from "@/app/_lib/session";
import { openAttachment } from "@/lib/web/mail";
import { downloadHeaders, safeFilename } from "@/lib/web/download";

type Context = { params: Promise<{ folder: string; id: string; index: string }> };

const notFound = () =>
  new Response("Not found\n", { status: 404, headers: { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff", "cache-control": "no-store" } });

/** One attachment of one of the signed-in account's messages, always as a download. */
export const GET = apiRoute(async (_req, ctx: Context, account) => {
  const { id, index } = await ctx.params;
  if (!/^\d{1,5}$/.test(index)) return notFound();
  const attachment = await openAttachment(account.id, id, Number(index));
  if (!attachment) return notFound();
  return new Response(new Uint8Array(attachment.content), {
    status: 200,
    headers: downloadHeaders(safeFilename(attachment.filename), attachment.contentType, attachment.content.length),
  });
});
