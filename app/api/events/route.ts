import { apiRoute } from "@/app/_lib/session";
import { getChangeFeed } from "@/lib/web/mail";
import { changeEventData, EVENT_KEEPALIVE_MS } from "@/lib/web/events";

export const dynamic = "force-dynamic";

/**
 * Server-sent events: one `change` event per change to the signed-in account's mailboxes
 * (new mail from SMTP, flags from IMAP or another tab, moves, folder changes), from the
 * store's change feed. The browser's EventSource reconnects by itself; the page then
 * refreshes once, which covers anything missed while disconnected.
 */
export const GET = apiRoute(async (req, _ctx: unknown, account) => {
  const feed = getChangeFeed();
  const enc = new TextEncoder();
  let cleanup = () => {};
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      const send = (text: string) => {
        try {
          controller.enqueue(enc.encode(text));
        } catch {
          cleanup();
        }
      };
      send(`retry: 2000\n: connected\n\n`);
      const unsubscribe = feed.subscribe(account.id, (c) => send(`event: change\nid: ${c.id}\ndata: ${changeEventData(c)}\n\n`));
      const keepalive = setInterval(() => send(`: keep-alive\n\n`), EVENT_KEEPALIVE_MS);
      cleanup = () => {
        unsubscribe();
        clearInterval(keepalive);
      };
      req.signal.addEventListener("abort", () => {
        cleanup();
        try {
          controller.close();
        } catch {
          /* already closed */
        }
      });
    },
    cancel() {
      cleanup();
    },
  });
  return new Response(stream, {
    headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store, no-transform", "x-accel-buffering": "no", connection: "keep-alive" },
  });
});
