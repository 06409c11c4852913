/** Bounds and pinned versions of the delivery parser (message-parser.ts). */

/** The versions of the packages whose behaviour the summary mirrors; a change needs the differential tests re-run. */
export const MIRRORED_VERSIONS: Record<string, string> = {
  mailparser: "3.14.2",
  "@zone-eu/mailsplit": "5.4.30",
  libmime: "5.6.4",
  libqp: "3.0.1",
  libbase64: "1.4.1",
  "html-to-text": "10.0.1",
};

/** The bounds on what one parse keeps and does. */
export const PARSER_LIMITS = {
  /** Parts recorded (the root included); mailsplit itself refuses more than 1000. */
  maxParts: 2000,
  /** Multipart / embedded message nesting; deeper multiparts are one opaque part. */
  maxDepth: 64,
  /** Header block bytes kept for the top message and for each part. */
  rootHeaderBytes: 256 * 1024,
  partHeaderBytes: 64 * 1024,
  /** Text part bytes kept for the snippet: per part and in all. */
  textPartBytes: 1024 * 1024,
  textTotalBytes: 2 * 1024 * 1024,
  /**
   * Time for the snippet after the first text part: HTML converts at up to ~1 s per MB, so
   * the caps above bound it; past this the remaining text parts are left out.
   */
  snippetMs: 500,
  /** Longest boundary recognised (RFC 2046 allows 70 characters). */
  boundaryBytes: 1024,
};
