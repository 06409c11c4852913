"use client";

import { useEffect, useRef, useState } from "react";
import type { OpenPdf } from "./pdf-document";

type PdfModule = typeof import("./pdf-document");

/**
 * A PDF attachment's pages, one at a time, drawn on a canvas by pdf.js (pdf-document.ts,
 * imported only now: the Inbox's JavaScript does not carry it). The bytes come from the
 * attachment's download URL (same origin, the owner's session); ← / → or the buttons turn
 * the pages.
 */
export function PdfPreview({ url, filename }: { url: string; filename: string }) {
  const [status, setStatus] = useState<"loading" | "ready" | "error">("loading");
  const [pages, setPages] = useState(0);
  const [page, setPage] = useState(1);
  const doc = useRef<{ mod: PdfModule; opened: OpenPdf } | null>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    let cancelled = false;
    (async () => {
      const [mod, res] = await Promise.all([import("./pdf-document"), fetch(url, { credentials: "same-origin" })]);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const opened = await mod.openPdf(await res.arrayBuffer());
      if (cancelled) return opened.close();
      doc.current = { mod, opened };
      setPages(opened.pdf.numPages);
      setStatus("ready");
    })().catch(() => {
      if (!cancelled) setStatus("error");
    });
    return () => {
      cancelled = true;
      doc.current?.opened.close();
      doc.current = null;
    };
  }, [url]);

  useEffect(() => {
    const d = doc.current;
    const c = canvas.current;
    if (status !== "ready" || !d || !c) return;
    let cancel: (() => void) | null = null;
    let stale = false;
    c.dataset.drawn = "false";
    d.mod
      .drawPage(d.opened.pdf, page, c, (box.current?.clientWidth ?? 600) - 24)
      .then(({ task, page: p }) => {
        cancel = () => task.cancel();
        if (stale) task.cancel();
        return task.promise.then(() => {
          p.cleanup();
          if (!stale) c.dataset.drawn = "true";
        });
      })
      .catch(() => {
        // A cancelled render (another page was asked for) is not an error.
        if (!stale) setStatus("error");
      });
    return () => {
      stale = true;
      cancel?.();
    };
  }, [status, page]);

  useEffect(() => {
    // The dialog is modal: arrow keys anywhere in it turn the pages (not in a text field: there is none).
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "ArrowRight" || e.key === "PageDown") setPage((p) => Math.min(p + 1, pages || 1));
      else if (e.key === "ArrowLeft" || e.key === "PageUp") setPage((p) => Math.max(p - 1, 1));
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [pages]);

  const button = "rounded-full border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-800 hover:bg-slate-50 disabled:opacity-50";
  return (
    <div ref={box} className="flex min-h-full flex-col items-center gap-3" data-testid="pdf-preview" data-status={status}>
      {status === "loading" && <p className="p-6 text-sm text-slate-600">Loading the PDF…</p>}
      {status === "error" && (
        <p className="p-6 text-sm text-slate-700" role="alert">
          This PDF cannot be shown here. Download it to open it.
        </p>
      )}
      <canvas
        ref={canvas}
        role="img"
        aria-label={`${filename}, page ${page} of ${pages}`}
        className={status === "ready" ? "max-w-full bg-white shadow" : "hidden"}
        data-testid="pdf-canvas"
        data-page={page}
      />
      {status === "ready" && (
        <nav className="sticky bottom-0 flex items-center gap-3 rounded-full bg-white/90 px-2 py-1 shadow" aria-label="Pages">
          <button type="button" className={button} onClick={() => setPage((p) => Math.max(p - 1, 1))} disabled={page <= 1} data-testid="pdf-previous">
            Previous page
          </button>
          <p className="text-sm text-slate-700" aria-live="polite" data-testid="pdf-page-number">
            Page {page} of {pages}
          </p>
          <button type="button" className={button} onClick={() => setPage((p) => Math.min(p + 1, pages))} disabled={page >= pages} data-testid="pdf-next">
            Next page
          </button>
        </nav>
      )}
    </div>
  );
}
