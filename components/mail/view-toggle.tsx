"use client";

import { useRouter } from "next/navigation";

/** Conversations or single messages in the list; kept in a cookie (the server renders the choice). */
export function ViewToggle({ threads }: { threads: boolean }) {
  const router = useRouter();
  const set = (v: "threads" | "messages") => {
    document.cookie = `listView=${v}; path=/; max-age=${60 * 60 * 24 * 365}; samesite=lax`;
    router.refresh();
  };
  const item = (on: boolean) => `rounded-full px-2.5 py-1 text-xs font-medium ${on ? "bg-slate-800 text-white" : "text-slate-600 hover:bg-slate-200"}`;
  return (
    <div role="group" aria-label="List view" className="flex items-center gap-1">
      <button type="button" aria-pressed={threads} className={item(threads)} onClick={() => set("threads")} data-testid="view-threads">
        Conversations
      </button>
      <button type="button" aria-pressed={!threads} className={item(!threads)} onClick={() => set("messages")} data-testid="view-messages">
        Messages
      </button>
    </div>
  );
}
