"use client";

import { useEffect, useRef } from "react";

/** Whether a key press belongs to a text field or an open dialog (never a shortcut there). */
function typing(e: KeyboardEvent): boolean {
  const t = e.target as HTMLElement | null;
  if (!t) return false;
  if (t.isContentEditable || t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT") return true;
  // Keys pressed in a modal dialog (the attachment preview) are the dialog's, not the list's.
  return !!t.closest?.("dialog[open]");
}

/**
 * Calls `handler` with the key ("j", "#", "I" for Shift+i) of presses outside text fields
 * and without Ctrl/Alt/Meta; the handler returns true when it used the key (then no other
 * handler sees it). `first`: before the others (the page-wide keys, so the second key of
 * "g s" goes to navigation, not to the list's star).
 */
export function useKeys(handler: (key: string, e: KeyboardEvent) => boolean | void, first = false): void {
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.ctrlKey || e.altKey || e.metaKey || typing(e)) return;
      if (ref.current(e.key, e) === true) e.preventDefault();
    };
    window.addEventListener("keydown", onKey, first);
    return () => window.removeEventListener("keydown", onKey, first);
  }, [first]);
}
