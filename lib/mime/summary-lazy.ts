/**
 * summarise() with its module loaded on the first call. For the engine's main thread,
 * where summaries are a fallback (the store writer thread and the summary worker parse
 * them): mailparser and the fast path's libraries, about 20 MB per V8 isolate, then stay
 * out of the main thread until a message actually needs them there.
 */
import type { MessageSummary } from "./summary";

export function summarise(raw: Buffer): Promise<MessageSummary> {
  return import("./summary").then((m) => m.summarise(raw));
}
