/** The web's server-sent event format for store changes (app/api/events). */
import type { Change } from "../store/journal";

/** Proxies and browsers drop silent connections; a comment line this often keeps them open. */
export const EVENT_KEEPALIVE_MS = 25_000;

/** What the browser needs to decide what to refresh; never another account's data (the feed is per account). */
export function changeEventData(c: Change): string {
  return JSON.stringify({ kind: c.kind, mailboxId: c.mailboxId, modSeq: c.modSeq });
}
