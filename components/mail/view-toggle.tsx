"use client";

import { useRouter } from "next/navigation";

import type { ListSort } from "@/lib/store/list-sort";

const SORTS: Array<[ListSort, string]> = [
  ["newest", "Newest first"],
  ["oldest", "Oldest first"],
  ["sender", "Sender (A–Z)"],
  ["subject", "Subject (A–Z)"],
  ["size", "Largest first"],
];

/** Conversations or single messages, and the messages' order; kept in cookies (the server renders the choice). */
export function ViewToggle({ threads, sort }: { threads: boolean; sort: ListSort }) {
  const router = useRouter();
  const keep = (name: string, v: string) => {
    document.cookie = `${name}=${v}; path=/; max-age=${60 * 60 * 24 * 365}; samesite=lax`;
    router.refresh();
  };
  const set = (v: "threads" | "messages") => keep("listView", v);
  const item = (on: boolean) => `rounded-full px-2.5 py-1 text-xs font-medium ${on ? "bg-slate-800 text-white" : "text-slate-600 hover:bg-slate-200"}`;
  return (
    <div role="group" aria-label="List view" className="flex items-center gap-1">
      <button type="button" aria-pressed={threads} className={item(threads)} onClick={() => set("threads")} data-testid="view-threads">
        Conversations
      </button>
      <button type="button" aria-pressed={!threads} className={item(!threads)} onClick={() => set("messages")} data-testid="view-messages">
        Messages
      </button>
      {!threads && (
        <label className="ml-1">
          <span className="sr-only">Sort</span>
          <select
            value={sort}
            onChange={(e) => keep("listSort", e.target.value)}
            className="rounded-md border border-slate-200 bg-white px-1.5 py-0.5 text-xs text-slate-700"
            data-testid="sort"
          >
            {SORTS.map(([v, label]) => (
              <option key={v} value={v}>
                {label}
              </option>
            ))}
          </select>
        </label>
      )}
    </div>
  );
}
