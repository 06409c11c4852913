"use client";

import { useEffect, useState } from "react";
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
 * Sends the user to /login when the session has ended. Mail arriving in the Inbox is
 * announced to screen readers (a polite live region).
 */
export function MailboxWatcher({ renderId, inboxId }: { renderId: string; inboxId?: string }) {
  const router = useRouter();
  const [announce, setAnnounce] = useState("");

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
    let arrived = 0;
    let clear: ReturnType<typeof setTimeout> | null = null;
    source.addEventListener("change", (e) => {
      refresh();
      try {
        const c = JSON.parse((e as MessageEvent<string>).data) as { kind?: string; mailboxId?: string };
        if (inboxId && c.kind === "append" && c.mailboxId === inboxId) {
          arrived++;
          setAnnounce(arrived === 1 ? "New mail in Inbox" : `${arrived} new messages in Inbox`);
          if (clear) clearTimeout(clear);
          clear = setTimeout(() => {
            arrived = 0;
            setAnnounce("");
          }, 10_000);
        }
      } catch {
        /* not ours to read: the refresh is enough */
      }
    });
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
      if (clear) clearTimeout(clear);
      source.close();
    };
  }, [router, inboxId]);

  return (
    <div role="status" aria-live="polite" className="sr-only" data-testid="new-mail-announcement">
      {announce}
    </div>
  );
}
