import Link from "next/link";
import { folderHref } from "@/lib/web/format";
import type { MessagePage } from "@/lib/store/read";
import { ChevronLeftIcon, ChevronRightIcon } from "../ui/icons";

/** The link to a page: its number (for the range shown) and the cursor that finds it. */
function pageHref(folder: string, page: number, cursor: string): string {
  return page <= 1 ? folderHref(folder) : `${folderHref(folder, page)}&c=${encodeURIComponent(cursor)}`;
}

/** "1–50 of 123" with previous/next page links (keyset cursors: see listMessages). */
export function Pagination({
  folder,
  page,
  pageCount,
  pageSize,
  total,
  prev,
  next,
  label,
}: Pick<MessagePage, "page" | "pageCount" | "pageSize" | "total" | "prev" | "next"> & {
  folder: string;
  /** Instead of the range (conversations, whose count is not kept). */
  label?: string;
}) {
  const first = total === 0 ? 0 : (page - 1) * pageSize + 1;
  const last = Math.min(total, page * pageSize);
  const button = "flex h-8 w-8 items-center justify-center rounded-full";
  return (
    <div className="flex items-center gap-1 text-sm text-slate-600">
      <span className="mr-2 tabular-nums" data-testid="page-range">
        {label ?? `${total === 0 ? "0" : `${first}–${last}`} of ${total}`}
      </span>
      {prev ? (
        <Link prefetch={false} href={pageHref(folder, page - 1, prev)} className={`${button} hover:bg-slate-200`} aria-label="Previous page" rel="prev" data-testid="page-prev">
          <ChevronLeftIcon />
        </Link>
      ) : (
        <span className={`${button} text-slate-300`} aria-hidden="true">
          <ChevronLeftIcon />
        </span>
      )}
      {next ? (
        <Link prefetch={false} href={pageHref(folder, page + 1, next)} className={`${button} hover:bg-slate-200`} aria-label="Next page" rel="next" data-testid="page-next">
          <ChevronRightIcon />
        </Link>
      ) : (
        <span className={`${button} text-slate-300`} aria-hidden="true">
          <ChevronRightIcon />
        </span>
      )}
    </div>
  );
}
