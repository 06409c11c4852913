/**
 * The summary fast path (see ../summary.ts): the root header block, the MIME walk, the
 * envelope headers and the snippet; throws (giveUp) for shapes it does not mirror.
 */
import { MAX_HEADER_BYTES, type WalkState, giveUp } from "./common";
import { envelope, headerBlockEnd, splitHeaderLines } from "./headers";
import { visitNode } from "./structure";
import { snippetOf } from "./text";
import type { MessageSummary } from "../summary";

export function summariseFast(raw: Buffer): MessageSummary {
  // Root header block: up to the first empty line, or the whole message when there is none.
  let bodyStart = headerBlockEnd(raw, 0, raw.length);
  const headerEnd = bodyStart < 0 ? raw.length : bodyStart;
  if (bodyStart < 0) bodyStart = raw.length;
  if (headerEnd > MAX_HEADER_BYTES) giveUp();
  const lines = splitHeaderLines(raw.toString("latin1", 0, headerEnd));

  const state: WalkState = { raw, nodes: 0, hasText: false, hasAttachments: false, leaves: [] };
  visitNode(state, lines, bodyStart, raw.length, raw.length, true, { related: false, alternative: false, boundaries: [], depth: 0 });

  const env = envelope(lines);
  const from = env.from[0];
  return {
    fromAddress: from?.address ?? "",
    fromName: from?.name ?? "",
    to: env.to,
    cc: env.cc,
    subject: env.subject ?? "",
    sentDate: env.date && !Number.isNaN(env.date.getTime()) ? env.date : null,
    messageId: env.messageId ?? "",
    inReplyTo: env.inReplyTo ?? "",
    references: env.references.flatMap((r) => r.split(/\s+/)).filter(Boolean),
    snippet: snippetOf(state),
    hasAttachments: state.hasAttachments,
  };
}
