"use client";

import { useEffect } from "react";
import { useRouter } from "next/navigation";

/** Render ids already shown in this tab: seeing one again means the router served a cached page (Back). */
const shown = new Set<string>();

const POLL_MS = 30_000;

/**
 * Keeps a mail page current without a reload: refreshes when the page comes back from
 * the browser history (its unread state may be stale) and when /api/folders reports a
 * change (new mail, flags changed from IMAP). Sends the user to /login when the
 * session has ended.
 */
export function MailboxWatcher({ renderId, state }: { renderId: string; state: string }) {
  const router = useRouter();

  useEffect(() => {
    if (shown.has(renderId)) router.refresh();
    else shown.add(renderId);
  }, [renderId, router]);

  useEffect(() => {
    let stopped = false;
    const timer = setInterval(async () => {
      if (document.visibilityState !== "visible") return;
      try {
        const res = await fetch("/api/folders", { cache: "no-store", headers: { accept: "application/json" } });
        if (stopped) return;
        if (res.status === 401) {
          window.location.assign("/login");
          return;
        }
        if (!res.ok) return;
        const body = (await res.json()) as { state?: string };
        if (!stopped && body.state && body.state !== state) router.refresh();
      } catch {
        /* offline: try again at the next tick */
      }
    }, POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [state, router]);

  return null;
}
