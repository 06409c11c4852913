/**
 * Response values for the engine's commands: the encoder itself is lib/imap/values.ts
 * (the store renders ENVELOPE and BODYSTRUCTURE with it at delivery); flag lists and
 * mailbox names here.
 */
export { encode, encodeString, raw, Raw, type Value } from "../../lib/imap/values";
import type { Value } from "../../lib/imap/values";

/** A mailbox name as an astring (RFC 3501 5.1: names are UTF-8 here, RFC 6855 / 9051 style). */
export function mailboxName(name: string): Value {
  return name;
}

/**
 * Flag lists already built, by flags and keywords: a selected mailbox remembers the list
 * of each of its messages (SelectedMailbox.flags), and sharing the few distinct ones keeps
 * a 100,000-message view from holding 100,000 strings. Cleared when it grows past a bound.
 */
const built = new Map<string, string>();
const MAX_BUILT = 4096;

/** The flags of a message as IMAP flag atoms (RFC 3501 2.3.2). */
export function flagList(m: { seen: boolean; answered: boolean; flagged: boolean; deleted: boolean; draft: boolean; keywords: string }): string {
  const key = `${+m.seen}${+m.answered}${+m.flagged}${+m.deleted}${+m.draft}${m.keywords}`;
  let list = built.get(key);
  if (list === undefined) {
    if (built.size >= MAX_BUILT) built.clear();
    list = buildFlagList(m);
    built.set(key, list);
  }
  return list;
}

function buildFlagList(m: { seen: boolean; answered: boolean; flagged: boolean; deleted: boolean; draft: boolean; keywords: string }): string {
  const out: string[] = [];
  if (m.seen) out.push("\\Seen");
  if (m.answered) out.push("\\Answered");
  if (m.flagged) out.push("\\Flagged");
  if (m.deleted) out.push("\\Deleted");
  if (m.draft) out.push("\\Draft");
  if (m.keywords) out.push(...m.keywords.split(" ").filter(Boolean));
  return "(" + out.join(" ") + ")";
}
