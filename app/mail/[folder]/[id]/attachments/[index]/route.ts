import { apiRoute } from "@/app/_lib/session";
import { openAttachment } from "@/lib/web/mail";
import { downloadHeaders, inlineImageHeaders, safeFilename } from "@/lib/web/download";
import { rasterImageType } from "@/lib/mime/magic";

type Context = { params: Promise<{ folder: string; id: string; index: string }> };

const plain = (status: number, text: string) =>
  new Response(text, { status, headers: { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff", "cache-control": "no-store" } });

/**
 * One attachment of one of the signed-in account's messages, as a download; with
 * `?inline=1` (the preview's <img>) shown in place, but only when its bytes are a raster
 * image (PNG, JPEG, GIF, WebP, lib/mime/magic.ts) and then under that verified type;
 * anything else is refused with 415, whatever it was declared or named.
 */
export const GET = apiRoute(async (req, ctx: Context, account) => {
  const { id, index } = await ctx.params;
  if (!/^\d{1,5}$/.test(index)) return plain(404, "Not found\n");
  const attachment = await openAttachment(account.id, id, Number(index));
  if (!attachment) return plain(404, "Not found\n");
  const filename = safeFilename(attachment.filename);
  if (new URL(req.url).searchParams.get("inline") === "1") {
    const type = rasterImageType(attachment.content.subarray(0, 16));
    if (!type) return plain(415, "Not an image that can be shown: download it instead\n");
    return new Response(new Uint8Array(attachment.content), { status: 200, headers: inlineImageHeaders(filename, type, attachment.content.length) });
  }
  return new Response(new Uint8Array(attachment.content), {
    status: 200,
    headers: downloadHeaders(filename, attachment.contentType, attachment.content.length),
  });
});
