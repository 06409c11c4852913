"use client";

/**
 * The virtual list's rows: the server renders the first slice with the page; the others
 * come from /api/message-list in slices of SLICE rows as the list scrolls near them, by
 * keyset cursor when the slice before is here (the previous slice's `next`), else by
 * position (a jump deep into the folder). A new render of the page (new mail, a change
 * elsewhere, an action: `version` changes) starts again from its first slice; rows that
 * are needed are fetched again.
 */
import { useCallback, useMemo, useRef, useState } from "react";
import { SLICE, type ListRow } from "@/lib/web/list-rows";
import type { ListSort } from "@/lib/store/list-sort";

/** Rows beyond the visible ones whose slices are fetched ahead (a slice is about 100 rows). */
const AHEAD = 40;
/** A scroll (or a drag of the scrollbar) settles this long before the slices under it are asked for. */
const SETTLE_MS = 40;

export interface VirtualSource {
  folder: string;
  sort: ListSort;
  /** Messages in the folder (the scrollbar's extent). */
  total: number;
  /** The cursor after the first slice (the page's rows), null when it is the whole folder. */
  next: string | null;
  /** Changes with every render of the page: the slices fetched before are dropped. */
  version: string;
}

interface Slice {
  rows: ListRow[];
  next: string | null;
}

export interface Slices {
  rowAt(i: number): ListRow | undefined;
  /** Every row fetched so far, in list order (what "select all shown", the pane and drag see). */
  loaded: ListRow[];
  /** Fetches the slices under rows [from, to] (after a short settle when `settle`). */
  request(from: number, to: number, settle?: boolean): void;
  /** Resolves when rows [from, to] are here (or could not be fetched). */
  ensure(from: number, to: number): Promise<void>;
}

export function useSlices(src: VirtualSource | null, first: ListRow[]): Slices {
  const slices = useRef(new Map<number, Slice>());
  const pending = useRef(new Map<number, Promise<void>>());
  const version = useRef<string | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const [tick, setTick] = useState(0);
  // A new render of the page: its first slice, nothing else (set during render, so the rows shown are the page's).
  if (src && version.current !== src.version) {
    version.current = src.version;
    slices.current = new Map([[0, { rows: first, next: src.next }]]);
    pending.current = new Map();
  }

  const load = useCallback(
    (k: number): Promise<void> => {
      if (!src || slices.current.has(k) || k * SLICE >= src.total) return Promise.resolve();
      const waiting = pending.current.get(k);
      if (waiting) return waiting;
      const q = new URLSearchParams({ folder: src.folder, sort: src.sort, start: String(k * SLICE), limit: String(SLICE) });
      const before = slices.current.get(k - 1);
      if (before?.next) q.set("after", before.next);
      const mine = pending.current;
      const p = fetch(`/api/message-list?${q}`, { cache: "no-store", headers: { accept: "application/json" } })
        .then((r) => (r.ok ? (r.json() as Promise<Slice>) : Promise.reject(new Error(`HTTP ${r.status}`))))
        .then(
          (data) => {
            if (mine !== pending.current) return; // the page was rendered again meanwhile
            slices.current.set(k, { rows: data.rows, next: data.next });
            setTick((t) => t + 1);
          },
          () => undefined, // shown as loading; asked again on the next scroll
        )
        .finally(() => mine.delete(k));
      mine.set(k, p);
      return p;
    },
    [src],
  );

  const range = (from: number, to: number) => {
    const ks: number[] = [];
    for (let k = Math.max(0, Math.floor(from / SLICE)); k <= Math.floor(Math.max(0, to) / SLICE); k++) ks.push(k);
    return ks;
  };

  const request = useCallback(
    (from: number, to: number, settle = true) => {
      const go = () => range(from - AHEAD, to + AHEAD).forEach((k) => void load(k));
      if (timer.current) clearTimeout(timer.current);
      timer.current = null;
      if (settle) timer.current = setTimeout(go, SETTLE_MS);
      else go();
    },
    [load],
  );

  const ensure = useCallback(async (from: number, to: number) => {
    await Promise.all(range(from, to).map(load));
  }, [load]);

  const loaded = useMemo(() => {
    void tick;
    return [...slices.current.entries()].sort((a, b) => a[0] - b[0]).flatMap(([, s]) => s.rows);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [tick, src?.version, first]);

  const rowAt = (i: number) => {
    if (!src) return first[i];
    return slices.current.get(Math.floor(i / SLICE))?.rows[i % SLICE];
  };
  return { rowAt, loaded: src ? loaded : first, request, ensure };
}
