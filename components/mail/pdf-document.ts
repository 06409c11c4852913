/**
 * pdf.js (pdfjs-dist, pinned) for the attachment preview: a PDF's pages drawn on
 * <canvas> in our page, nothing of the PDF run. Only pdf-preview.tsx imports this, and
 * only with import(): pdf.js and its worker are fetched when a PDF preview opens, never
 * with the Inbox.
 *
 * What stays off: the PDF's JavaScript (pdf.js runs it only through its annotation
 * layer's `enableScripting` and the viewer's sandbox, pdf.sandbox.mjs: neither is made or
 * loaded here), XFA forms (`enableXfa: false`), the text and annotation layers (no links
 * or form fields become DOM: the page is pixels), WebAssembly decoders
 * (`useWasm: false`). pdf.js 6 has no `isEvalSupported` option any more: neither of its
 * builds contains `eval` or `new Function` (test/unit/pdf-preview.test.ts checks the
 * installed files), so the page's CSP needs no 'unsafe-eval'.
 */
import { getDocument, PDFWorker, type PDFDocumentProxy, type PDFPageProxy, type RenderTask } from "pdfjs-dist";

export type { PDFDocumentProxy };

export interface OpenPdf {
  pdf: PDFDocumentProxy;
  /** Ends the document and its worker (the dialog closed). */
  close(): void;
}

/**
 * Parses `data` (the attachment's bytes) in a worker of its own: pdf.js's worker script,
 * bundled by Next from the installed package and served from our origin under
 * /_next/static (the page's CSP: worker-src 'self'), ended with the preview.
 */
export async function openPdf(data: ArrayBuffer): Promise<OpenPdf> {
  const port = new Worker(new URL("pdfjs-dist/build/pdf.worker.min.mjs", import.meta.url), { type: "module" });
  const worker = PDFWorker.create({ port });
  const task = getDocument({
    data: new Uint8Array(data),
    worker,
    enableXfa: false,
    useWasm: false,
    // No fetches on the PDF's behalf: fonts it does not embed come from the system.
    useSystemFonts: true,
    // A hostile PDF cannot make us allocate a huge bitmap per image (pixels).
    maxImageSize: 50_000_000,
  });
  const close = () => {
    void task.destroy().finally(() => {
      worker.destroy();
      port.terminate();
    });
  };
  try {
    return { pdf: await task.promise, close };
  } catch (err) {
    close();
    throw err;
  }
}

/**
 * Draws page `number` (1-based) on `canvas`, `cssWidth` CSS pixels wide at the screen's
 * density. The returned task can be cancelled when another page is asked for first.
 */
export async function drawPage(pdf: PDFDocumentProxy, number: number, canvas: HTMLCanvasElement, cssWidth: number): Promise<{ task: RenderTask; page: PDFPageProxy }> {
  const page = await pdf.getPage(number);
  const base = page.getViewport({ scale: 1 });
  const scale = Math.min(Math.max(cssWidth, 200) / base.width, 3);
  const dpr = Math.min(window.devicePixelRatio || 1, 2);
  const viewport = page.getViewport({ scale: scale * dpr });
  canvas.width = Math.floor(viewport.width);
  canvas.height = Math.floor(viewport.height);
  canvas.style.width = `${Math.floor(viewport.width / dpr)}px`;
  canvas.style.height = `${Math.floor(viewport.height / dpr)}px`;
  return { task: page.render({ canvas, viewport }), page };
}
