// Minimal declarations for html-to-text (the package ships no types); only what lib/mime/summary.ts uses.
declare module "html-to-text" {
  export interface HtmlToTextOptions {
    limits?: { ellipsis?: string; maxBaseElements?: number; maxChildNodes?: number; maxDepth?: number; maxInputLength?: number };
    wordwrap?: number | false | null;
    [option: string]: unknown;
  }
  /** Compiles the options once; the returned function converts HTML to plain text. */
  export function compile(options?: HtmlToTextOptions): (html: string, metadata?: unknown) => string;
  export function convert(html: string, options?: HtmlToTextOptions, metadata?: unknown): string;
  export { convert as htmlToText };
}
