/**
 * summarise() with its module loaded on the first call. For the engine's main thread and
 * the store writer thread: mailparser and the fast path's libraries, about 15 MB per V8
 * isolate, stay out of an engine that has not received a message yet.
 */
import type { MessageSummary } from "./summary";

let loaded: typeof import("./summary") | null = null;

export function summarise(raw: Buffer): Promise<MessageSummary> {
  if (loaded) return loaded.summarise(raw);
  return import("./summary").then((m) => (loaded = m).summarise(raw));
}
