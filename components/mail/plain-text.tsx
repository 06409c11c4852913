/** A text/plain body: whitespace kept, web links clickable (rendered by React, so escaped). */
import type { ReactNode } from "react";

const LINK = /\bhttps?:\/\/[^\s<>"'`]+[^\s<>"'`.,;:!?)\]}]/g;

export function PlainText({ text }: { text: string }) {
  const parts: ReactNode[] = [];
  let last = 0;
  for (const m of text.matchAll(LINK)) {
    const start = m.index ?? 0;
    if (start > last) parts.push(text.slice(last, start));
    parts.push(
      <a key={start} href={m[0]} target="_blank" rel="noopener noreferrer" className="text-blue-700 underline underline-offset-2">
        {m[0]}
      </a>,
    );
    last = start + m[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return (
    <div className="whitespace-pre-wrap break-words font-sans text-[15px] leading-relaxed text-slate-800" data-testid="message-text">
      {parts}
    </div>
  );
}
