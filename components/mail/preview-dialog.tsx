"use client";

import { useEffect, useRef, type KeyboardEvent } from "react";
import type { PreviewKind } from "@/lib/mime/magic";
import { DownloadIcon } from "../ui/icons";
import { PdfPreview } from "./pdf-preview";

const FOCUSABLE = 'a[href], button:not([disabled]), [tabindex]:not([tabindex="-1"])';

/**
 * The attachment preview's modal dialog (attachment-preview.tsx loads it on the first
 * Preview click, so the Inbox's JavaScript does not carry it): the file's name, Download,
 * Close, and an <img> from the attachment route's `?inline=1` (served only when the bytes
 * are that image type) or the PDF's pages drawn by pdf.js. A modal <dialog> makes the
 * page behind it inert and closes on Esc.
 */
export default function PreviewDialog({ kind, filename, href, onClosed }: { kind: PreviewKind; filename: string; href: string; onClosed: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = `preview-title-${href.replace(/[^a-z0-9]/gi, "-")}`;

  useEffect(() => {
    if (!dialog.current?.open) dialog.current?.showModal();
  }, []);

  const close = () => {
    dialog.current?.close();
  };

  // A modal <dialog> makes the page behind it inert, but Tab past its last control would
  // leave for the browser's own UI: it wraps round to the first instead (and Shift+Tab back).
  const trapTab = (e: KeyboardEvent<HTMLDialogElement>) => {
    if (e.key !== "Tab" || !dialog.current) return;
    const focusable = Array.from(dialog.current.querySelectorAll<HTMLElement>(FOCUSABLE)).filter((el) => el.getClientRects().length > 0);
    if (focusable.length === 0) return;
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    const at = document.activeElement;
    if (e.shiftKey && (at === first || at === dialog.current)) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && at === last) {
      e.preventDefault();
      first.focus();
    }
  };

  return (
    <dialog
      ref={dialog}
      aria-labelledby={titleId}
      onKeyDown={trapTab}
      onClose={onClosed}
      className="m-0 h-dvh max-h-none w-full max-w-none bg-white p-0 text-slate-900 shadow-xl backdrop:bg-slate-900/60 sm:m-auto sm:h-[90vh] sm:max-w-4xl sm:rounded-xl"
      data-testid="preview-dialog"
    >
      <div className="flex h-full flex-col">
        <div className="flex items-center gap-2 border-b border-slate-200 px-4 py-2">
          <h2 id={titleId} className="min-w-0 flex-1 truncate font-semibold" title={filename}>
            {filename}
          </h2>
          <a
            href={href}
            download={filename}
            className="flex items-center gap-1.5 rounded-full px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-100"
            data-testid="preview-download"
          >
            <DownloadIcon className="h-4 w-4" />
            Download
          </a>
          <button
            type="button"
            onClick={close}
            autoFocus
            className="rounded-full bg-slate-800 px-3 py-1.5 text-sm font-medium text-white"
            data-testid="preview-close"
          >
            Close
          </button>
        </div>
        {/* Focusable, so the keyboard can scroll a page taller than the screen. */}
        <div tabIndex={0} role="region" aria-label={`Preview of ${filename}`} className="min-h-0 flex-1 overflow-auto bg-slate-100 p-3" data-testid="preview-body">
          {kind === "image" ? (
            <img src={`${href}?inline=1`} alt={filename} className="mx-auto max-h-full max-w-full object-contain" data-testid="preview-image" />
          ) : (
            <PdfPreview url={href} filename={filename} />
          )}
        </div>
      </div>
    </dialog>
  );
}
