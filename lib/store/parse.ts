/**
 * What the store keeps of a message's MIME at delivery: the list summary (Message rows)
 * and the structure with byte offsets and raw envelope fields (the Blob row, as JSON).
 */
import { summarise, type MessageSummary } from "../mime/summary";

export interface StoreParse {
  summary: MessageSummary;
  /** JSON of {structure, envelope}; null when not available. */
  structure: string | null;
}

/**
 * Never fails: a message the parser cannot summarise still gets stored, with a minimal
 * summary (a malformed message must not turn into a 451 loop).
 */
export async function parseForStore(raw: Buffer): Promise<StoreParse> {
  try {
    return { summary: await summarise(raw), structure: null };
  } catch {
    return { summary: minimalSummary(), structure: null };
  }
}

export function minimalSummary(): MessageSummary {
  return { fromAddress: "", fromName: "", to: [], cc: [], subject: "", sentDate: null, messageId: "", inReplyTo: "", references: [], snippet: "", hasAttachments: false };
}

/** Bytes of a large message's start that its summary is read from (the snippet and headers live there). */
export const SUMMARY_PREFIX_BYTES = 256 * 1024;

/**
 * Fed a large message as it arrives; keeps only its first SUMMARY_PREFIX_BYTES and
 * summarises those, so the summary of a 50 MB message costs a bounded parse.
 */
export class PrefixParser {
  private readonly chunks: Buffer[] = [];
  private length = 0;

  write(chunk: Buffer): void {
    if (this.length >= SUMMARY_PREFIX_BYTES) return;
    const part = chunk.subarray(0, SUMMARY_PREFIX_BYTES - this.length);
    this.chunks.push(Buffer.from(part));
    this.length += part.length;
  }

  end(): Promise<StoreParse> {
    return parseForStore(Buffer.concat(this.chunks, this.length));
  }
}
