/**
 * What the store keeps of a message's MIME at delivery, from the one delivery parser
 * (lib/mime/message-parser.ts): the list summary (Message rows) and the MIME structure
 * with byte offsets plus the raw envelope fields (the Blob row, as JSON). The parser
 * reads the exact bytes stored (trace headers included), so the offsets address the blob.
 */
import type { MessageParser, ParsedMessage } from "../mime/message-parser";
import type { Envelope, MimePart } from "../mime/structure";
import type { MessageSummary } from "../mime/summary";
import { extractSearchTextSync, type SearchText } from "../mime/search-text";
import { renderForImap, type ImapRendering } from "../imap/structure";

export interface StoreParse {
  summary: MessageSummary;
  /** JSON of StoredStructure; null when not available. */
  structure: string | null;
  /** IMAP ENVELOPE and BODYSTRUCTURE, rendered once (lib/store/imap-cache.ts). */
  imap?: ImapRendering | null;
  /** The words for SEARCH TEXT/BODY (lib/store/search-index.ts); absent when the bytes were not at hand (streamed: MailStore.deliver reads them). */
  text?: SearchText;
}

/** Blob.structure, as JSON. */
export interface StoredStructure {
  structure: MimePart;
  envelope: Envelope;
  /** Set when the parser's limits cut the result short, with the reason. */
  reduced?: string;
}

/** With `raw`, the search text is extracted too (next to the parse, before any transaction). */
export function toStoreParse(p: ParsedMessage, raw?: Buffer): StoreParse {
  const stored: StoredStructure = { structure: p.structure, envelope: p.envelope, ...(p.reduced ? { reduced: p.reduced } : {}) };
  return { summary: p.summary, structure: JSON.stringify(stored), imap: imapOf(stored), ...(raw ? { text: searchTextOf(raw, p.structure, p.envelope) } : {}) };
}

/** Never fails: without it, FETCH renders from the structure (imap-cache.ts). */
function imapOf(stored: StoredStructure): ImapRendering | null {
  try {
    return renderForImap(stored);
  } catch {
    return null;
  }
}

/** Never fails: a part that cannot be decoded is left out of the index, not the delivery. */
function searchTextOf(raw: Buffer, structure: MimePart, envelope: Envelope): SearchText | undefined {
  try {
    return extractSearchTextSync(raw, structure, envelope);
  } catch {
    return undefined;
  }
}

/** The parser module, loaded on first use: its libraries cost each thread ~15 MB, which an idle engine does without. */
let parser: typeof import("../mime/message-parser") | null = null;
async function loadParser(): Promise<typeof import("../mime/message-parser")> {
  return (parser ??= await import("../mime/message-parser"));
}

/**
 * Never fails: a message the parser cannot fully read is stored with a reduced result
 * (the parser says why), so a malformed message never turns into a 451 loop.
 */
export async function parseForStore(raw: Buffer): Promise<StoreParse> {
  return toStoreParse((parser ?? (await loadParser())).parseMessage(raw), raw);
}

/** The stored structure of a blob, or null (not parsed, or unreadable JSON). */
export function readStructure(json: string | null | undefined): StoredStructure | null {
  if (!json) return null;
  try {
    const v = JSON.parse(json) as StoredStructure;
    return v && typeof v === "object" && v.structure ? v : null;
  } catch {
    return null;
  }
}

/**
 * Fed a message as it arrives (SMTP DATA, after the trace headers); keeps bounded state
 * only, so a 50 MB message costs no more memory than a small one.
 */
export class StreamingParse {
  private constructor(private readonly parser: MessageParser) {}

  static async create(): Promise<StreamingParse> {
    return new StreamingParse(new (parser ?? (await loadParser())).MessageParser());
  }

  write(chunk: Buffer): void {
    this.parser.write(chunk);
  }

  end(): StoreParse {
    return toStoreParse(this.parser.end());
  }
}
