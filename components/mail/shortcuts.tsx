"use client";

import { useEffect, useRef, useState } from "react";
import { useRouter } from "next/navigation";
import { useKeys } from "./keys";
import { undoLast } from "./undo-toast";

/** Gmail's keyboard set, as `?` lists it (README "Webmail" has the same list). */
export const SHORTCUTS: Array<[string, string]> = [
  ["j / k", "Older / newer message"],
  ["o or Enter", "Open message"],
  ["u", "Back to the list"],
  ["x", "Select message"],
  ["s", "Star or unstar"],
  ["e", "Archive"],
  ["#", "Delete (to Trash)"],
  ["!", "Report junk (in Junk: not junk)"],
  ["Shift+i / Shift+u", "Mark read / unread"],
  ["z", "Undo the last action"],
  ["r / a / f", "Reply / reply all / forward"],
  ["c", "Compose"],
  ["/", "Search"],
  ["g then i / s / t / d", "Go to Inbox / Starred / Sent / Drafts"],
  ["?", "This list"],
];

const GO: Record<string, string> = {
  i: "/mail/INBOX",
  s: `/mail/search?q=${encodeURIComponent("is:starred in:anywhere")}`,
  t: "/mail/Sent",
  d: "/mail/Drafts",
};

/** Keys that work on every mail page: navigation, search, compose, undo and the `?` list. */
export function Shortcuts() {
  const router = useRouter();
  const [help, setHelp] = useState(false);
  const pendingG = useRef(0);
  const dialog = useRef<HTMLDialogElement>(null);

  useKeys((key) => {
    if (help) return false;
    if (Date.now() - pendingG.current < 1500) {
      pendingG.current = 0;
      const to = GO[key.toLowerCase()];
      if (to) router.push(to);
      return !!to;
    }
    switch (key) {
      case "g":
        pendingG.current = Date.now();
        return true;
      case "/": {
        const box = document.getElementById("search-box") as HTMLInputElement | null;
        box?.focus();
        box?.select();
        return !!box;
      }
      case "c":
        router.push("/mail/compose");
        return true;
      case "z":
        void undoLast(() => router.refresh());
        return true;
      case "?":
        setHelp(true);
        requestAnimationFrame(() => dialog.current?.showModal());
        return true;
    }
    return false;
  }, true);

  useEffect(() => {
    // The keys work from here on (tests wait for this rather than guessing when hydration ends).
    document.documentElement.dataset.keys = "ready";
  }, []);

  if (!help) return null;
  return (
    <dialog
      ref={dialog}
      aria-labelledby="shortcuts-title"
      onClose={() => setHelp(false)}
      className="m-auto w-full max-w-md rounded-xl p-0 shadow-xl backdrop:bg-slate-900/40"
      data-testid="shortcuts-dialog"
    >
      <div className="p-5">
        <h2 id="shortcuts-title" className="mb-3 text-lg font-semibold text-slate-900">
          Keyboard shortcuts
        </h2>
        <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1.5 text-sm">
          {SHORTCUTS.map(([k, what]) => (
            <div key={k} className="contents">
              <dt>
                <kbd className="rounded border border-slate-300 bg-slate-50 px-1.5 py-0.5 font-mono text-xs text-slate-800">{k}</kbd>
              </dt>
              <dd className="text-slate-700">{what}</dd>
            </div>
          ))}
        </dl>
        <form method="dialog" className="mt-4 text-right">
          <button className="rounded-md bg-slate-800 px-3 py-1.5 text-sm font-medium text-white" autoFocus>
            Close
          </button>
        </form>
      </div>
    </dialog>
  );
}
