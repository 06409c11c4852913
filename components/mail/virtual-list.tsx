"use client";

/**
 * The list's rows, virtual: the page (the window) scrolls, and its scrollbar stands for
 * all `count` rows, but only the rows on screen and a few either side are in the
 * document (@tanstack/react-virtual measures each one shown; the others are estimated).
 * The list keeps its semantics for screen readers: each row says its place in the whole
 * (aria-posinset of aria-setsize). On the server the first screen of rows is rendered
 * with the page (`initialRect`).
 */
import { useEffect, useLayoutEffect, useRef, useState, type CSSProperties, type ReactNode, type RefObject } from "react";
import { useWindowVirtualizer } from "@tanstack/react-virtual";

/** A row's height on a wide screen (one line); narrower, rows are measured taller. */
const ROW_ESTIMATE = 46;
const OVERSCAN = 8;

export interface RowSlot {
  ref: (el: HTMLElement | null) => void;
  "data-index": number;
  style: CSSProperties;
}

export interface VirtualApi {
  scrollToIndex(i: number): void;
}

export function VirtualRows({
  count,
  hidden,
  api,
  onRange,
  renderRow,
}: {
  count: number;
  /** The list is hidden (a message is open over it): nothing is measured meanwhile. */
  hidden: boolean;
  api: RefObject<VirtualApi | null>;
  /** The rows on screen (with overscan) changed. */
  onRange: (first: number, last: number) => void;
  renderRow: (index: number, slot: RowSlot) => ReactNode;
}) {
  const list = useRef<HTMLUListElement>(null);
  // Where the list starts in the page (under the header and the toolbar): the virtualizer's offsets are the window's.
  const [margin, setMargin] = useState(0);
  useLayoutEffect(() => {
    const el = list.current;
    if (!el || hidden) return;
    const top = Math.round(el.getBoundingClientRect().top + window.scrollY);
    if (top !== margin) setMargin(top);
  });
  const v = useWindowVirtualizer({
    count,
    estimateSize: () => ROW_ESTIMATE,
    overscan: OVERSCAN,
    scrollMargin: margin,
    initialRect: { width: 1280, height: 900 },
    enabled: !hidden,
  });
  api.current = { scrollToIndex: (i) => v.scrollToIndex(i, { align: "auto" }) };
  const items = v.getVirtualItems();
  const first = items[0]?.index ?? -1;
  const last = items[items.length - 1]?.index ?? -1;
  useEffect(() => {
    if (first >= 0) onRange(first, last);
  }, [first, last, onRange]);

  // The window's scroll is the list's: kept while a message is open in its place, and given back after.
  const saved = useRef(0);
  useLayoutEffect(() => {
    if (hidden) {
      saved.current = window.scrollY;
      return;
    }
    if (saved.current) window.scrollTo(0, saved.current);
  }, [hidden]);

  return (
    <ul ref={list} role="list" className="relative" style={{ height: v.getTotalSize() }} data-testid="message-list" aria-label="Messages">
      {items.map((it) =>
        renderRow(it.index, {
          ref: v.measureElement,
          "data-index": it.index,
          style: { position: "absolute", top: 0, left: 0, width: "100%", transform: `translateY(${it.start - margin}px)` },
        }),
      )}
    </ul>
  );
}
