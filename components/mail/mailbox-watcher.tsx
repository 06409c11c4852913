"use client";

import { useEffect } from "react";
import { useRouter } from "next/navigation";

/** Render ids already shown in this tab: seeing one again means the router served a cached page (Back). */
const shown = new Set<string>();

/** Several changes in a burst (a mailing list, a bulk move) make one refresh. */
const DEBOUNCE_MS = 300;

/**
 * Keeps a mail page current without a reload: refreshes when the page comes back from
 * the browser history, and when the server's event stream (/api/events, fed by the
 * store's change journal) reports a change to this account's mail: new mail over SMTP,
 * flags set from IMAP or another tab. After a reconnect it refreshes once, to catch up.
 * Sends the user to /login when the session has ended.
 */
export function MailboxWatcher({ renderId }: { renderId: string }) {
  const router = useRouter();

  useEffect(() => {
    if (shown.has(renderId)) router.refresh();
    else shown.add(renderId);
  }, [renderId, router]);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    let opened = false;
    const refresh = () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => router.refresh(), DEBOUNCE_MS);
    };
    const source = new EventSource("/api/events");
    source.addEventListener("change", refresh);
    source.onopen = () => {
      if (opened) refresh(); // a reconnect: changes may have been missed meanwhile
      opened = true;
    };
    source.onerror = async () => {
      // EventSource retries by itself; a 401 (signed out) would retry forever: check once.
      if (source.readyState !== EventSource.CLOSED) return;
      try {
        const res = await fetch("/api/folders", { cache: "no-store", headers: { accept: "application/json" } });
        if (res.status === 401) window.location.assign("/login");
      } catch {
        /* offline */
      }
    };
    return () => {
      if (timer) clearTimeout(timer);
      source.close();
    };
  }, [router]);

  return null;
}
