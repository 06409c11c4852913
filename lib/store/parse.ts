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

export async function parseForStore(raw: Buffer): Promise<StoreParse> {
  return { summary: await summarise(raw), structure: null };
}
