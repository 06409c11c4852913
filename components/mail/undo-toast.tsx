"use client";

import { useEffect, useSyncExternalStore } from "react";
import { useRouter } from "next/navigation";
import { undoAction } from "@/app/mail/actions";
import type { Undo } from "@/lib/web/organise";

/** How long the last action can be undone from the toast or with `z`. */
export const UNDO_MS = 8000;

interface Notice {
  text: string;
  undo: Undo | null;
  until: number;
  id: number;
}

/**
 * The last action's notice, kept in the module (not a component): it survives the page
 * change an action causes (archive from an open message goes back to the list).
 */
let current: Notice | null = null;
let seq = 0;
const listeners = new Set<() => void>();
const emit = () => listeners.forEach((l) => l());

export function notify(text: string, undo: Undo | null = null): void {
  current = { text, undo, until: Date.now() + UNDO_MS, id: ++seq };
  emit();
}

function dismiss(id: number): void {
  if (current?.id === id) {
    current = null;
    emit();
  }
}

/** Undoes the last action while its notice shows; false when there is nothing to undo. */
export async function undoLast(refresh: () => void): Promise<boolean> {
  const n = current;
  if (!n?.undo || Date.now() > n.until) return false;
  dismiss(n.id);
  const r = await undoAction(n.undo);
  notify(r.ok ? `Undone (${r.count} message${r.count === 1 ? "" : "s"})` : r.error);
  refresh();
  return true;
}

const subscribe = (l: () => void) => {
  listeners.add(l);
  return () => listeners.delete(l);
};

/** The toast (a polite live region, so screen readers hear what happened) with its Undo button. */
export function UndoToast() {
  const router = useRouter();
  const notice = useSyncExternalStore(subscribe, () => current, () => null);

  useEffect(() => {
    if (!notice) return;
    const t = setTimeout(() => dismiss(notice.id), Math.max(0, notice.until - Date.now()));
    return () => clearTimeout(t);
  }, [notice]);

  return (
    <div role="status" aria-live="polite" className="pointer-events-none fixed inset-x-0 bottom-4 z-50 flex justify-center px-4">
      {notice && (
        <div className="pointer-events-auto flex items-center gap-4 rounded-lg bg-slate-900 px-4 py-3 text-sm text-white shadow-lg" data-testid="toast">
          <span data-testid="toast-text">{notice.text}</span>
          {notice.undo && (
            <button type="button" className="font-semibold text-blue-300 hover:text-blue-200" data-testid="toast-undo" onClick={() => void undoLast(() => router.refresh())}>
              Undo
            </button>
          )}
        </div>
      )}
    </div>
  );
}
