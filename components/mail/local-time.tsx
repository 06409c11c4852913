"use client";

import { useEffect, useState } from "react";
import { formatFullDate, formatListDate } from "@/lib/web/format";

/**
 * A date shown in the reader's own time zone and locale. The server renders `initial`
 * (its own zone); the browser replaces it after hydration.
 */
export function LocalTime({ iso, mode, initial, className }: { iso: string; mode: "list" | "full"; initial: string; className?: string }) {
  const [text, setText] = useState(initial);
  const [title, setTitle] = useState<string | undefined>(undefined);
  useEffect(() => {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return;
    setText(mode === "list" ? formatListDate(d) : formatFullDate(d));
    setTitle(formatFullDate(d));
  }, [iso, mode]);
  return (
    <time dateTime={iso} title={title} className={className} suppressHydrationWarning>
      {text}
    </time>
  );
}
