"use client";

import { lazy, Suspense, useRef, useState } from "react";
import type { PreviewKind } from "@/lib/mime/magic";

/** The dialog, fetched on the first Preview click: none of it is in the Inbox's JavaScript. */
const PreviewDialog = lazy(() => import("./preview-dialog"));

/**
 * "Preview" on an attachment whose bytes are a raster image or a PDF (the server decided,
 * lib/mime/magic.ts), opening the preview dialog (preview-dialog.tsx); when it closes,
 * focus comes back to this button.
 */
export function AttachmentPreview({ kind, filename, href }: { kind: PreviewKind; filename: string; href: string }) {
  const [open, setOpen] = useState(false);
  const opener = useRef<HTMLButtonElement>(null);
  return (
    <>
      <button
        ref={opener}
        type="button"
        onClick={() => setOpen(true)}
        className="shrink-0 rounded-full px-3 py-1 text-sm font-medium text-indigo-700 hover:bg-indigo-50"
        aria-label={`Preview ${filename}`}
        aria-haspopup="dialog"
        data-testid="attachment-preview"
      >
        Preview
      </button>
      {open && (
        <Suspense fallback={null}>
          <PreviewDialog
            kind={kind}
            filename={filename}
            href={href}
            onClosed={() => {
              setOpen(false);
              opener.current?.focus();
            }}
          />
        </Suspense>
      )}
    </>
  );
}
