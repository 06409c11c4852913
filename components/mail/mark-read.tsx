"use client";

import { useEffect, useRef } from "react";
import { useRouter } from "next/navigation";
import { markReadAction } from "@/app/mail/actions";

/**
 * Marks the open message read once it is actually on screen (the tab visible), through
 * a POST (a server action): rendering the page never changes it, so a link prefetcher
 * or a scanner that GETs the URL leaves the message unread. Then refreshes the page so
 * the folder list's unread count drops.
 */
export function MarkRead({ messageId, seen }: { messageId: string; seen: boolean }) {
  const router = useRouter();
  const sent = useRef<string | null>(null);

  useEffect(() => {
    if (seen || sent.current === messageId) return;
    let cancelled = false;
    const mark = () => {
      if (cancelled || document.visibilityState !== "visible" || sent.current === messageId) return;
      sent.current = messageId;
      document.removeEventListener("visibilitychange", mark);
      markReadAction(messageId)
        .then((changed) => {
          if (changed && !cancelled) router.refresh();
        })
        .catch(() => {
          sent.current = null; // not marked (offline, signed out): the next showing tries again
        });
    };
    mark();
    document.addEventListener("visibilitychange", mark);
    return () => {
      cancelled = true;
      document.removeEventListener("visibilitychange", mark);
    };
  }, [messageId, seen, router]);

  return null;
}
