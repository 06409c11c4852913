/**
 * NOTIFY SET [STATUS] (filter events)... and NOTIFY NONE (RFC 5465 3.1, 8): which events of
 * which mailboxes the session is told of at any time; the telling is ../notify.ts.
 *
 * One deliberate leniency: RFC 5465 5 asks for BAD when MessageNew comes without
 * MessageExpunge (or the reverse), or FlagChange without both; Dovecot accepts each alone
 * and imaptest's NOTIFY test relies on it, so they are accepted here too (each is told as
 * asked).
 */
import { atom, list, ParseError, type Token } from "../parser/tokens";
import { bad, no } from "../session";
import { MAILBOX_EVENTS, MESSAGE_EVENTS, Notifier, type EventGroup, type Filter } from "../notify";
import { mailboxArg } from "./mailboxes";
import { parseItem } from "./fetch-items";
import { AUTHED, type CommandSpec } from "./types";

const SUPPORTED = [...MESSAGE_EVENTS, ...MAILBOX_EVENTS];

function parseGroup(s: Parameters<CommandSpec["run"]>[0], items: Token[]): EventGroup {
  const kind = atom(items[0], "mailbox filter").toLowerCase();
  let i = 1;
  let filter: Filter;
  if (kind === "subtree" || kind === "mailboxes") {
    // one-or-more-mailbox = mailbox / "(" mailbox *(SP mailbox) ")"
    const t = items[i++];
    const names = t?.type === "list" ? t.items.map((x) => mailboxArg(s, x)) : [mailboxArg(s, t)];
    if (!names.length) throw new ParseError(`${kind} needs a mailbox`);
    filter = { kind, names };
  } else if (["selected", "selected-delayed", "inboxes", "personal", "subscribed"].includes(kind)) {
    filter = { kind: kind as "selected" };
  } else throw new ParseError(`unknown mailbox filter ${kind.slice(0, 40)}: selected, selected-delayed, inboxes, personal, subscribed, subtree or mailboxes`);
  const selected = kind === "selected" || kind === "selected-delayed";
  const ev = items[i++];
  if (i !== items.length) throw new ParseError("an event group is (filter events)");
  const group: EventGroup = { filter, events: new Set() };
  if (ev?.type === "atom" && ev.value.toUpperCase() === "NONE") return group;
  const names = list(ev, "events");
  if (!names.length) throw new ParseError("empty event list: use NONE");
  for (let j = 0; j < names.length; j++) {
    const name = atom(names[j], "event");
    const canonical = SUPPORTED.find((e) => e.toUpperCase() === name.toUpperCase());
    // RFC 5465 3.1: an event we do not offer (AnnotationChange, the METADATA ones, extensions) is NO [BADEVENT], not BAD.
    if (!canonical) throw no(`event ${name.slice(0, 40)} is not supported`, `BADEVENT (${SUPPORTED.join(" ")})`);
    // RFC 5465 6.1: SELECTED filters take message events only.
    if (selected && !MESSAGE_EVENTS.includes(canonical)) throw bad(`${canonical} cannot be asked for the selected mailbox`);
    group.events.add(canonical);
    if (canonical === "MessageNew" && names[j + 1]?.type === "list") {
      // RFC 5465 8: fetch attributes only for the selected mailbox.
      if (!selected) throw bad("MessageNew fetch attributes are for the selected mailbox only");
      group.fetch = list(names[++j], "fetch attributes");
      if (!group.fetch.length) throw new ParseError("empty fetch attribute list");
      group.fetch.forEach(parseItem);
    }
  }
  return group;
}

export const NOTIFY: CommandSpec = {
  states: AUTHED,
  async run(s, cmd) {
    const mode = atom(cmd.args[0], "SET or NONE").toUpperCase();
    if (mode === "NONE") {
      if (cmd.args.length !== 1) throw new ParseError("NOTIFY NONE takes nothing more");
      s.notifier = null;
      return;
    }
    if (mode !== "SET") throw new ParseError("NOTIFY SET or NOTIFY NONE");
    let i = 1;
    const status = cmd.args[i]?.type === "atom" && (cmd.args[i] as { value: string }).value.toUpperCase() === "STATUS";
    if (status) i++;
    if (i >= cmd.args.length) throw new ParseError("NOTIFY SET needs at least one (filter events) group");
    const groups = cmd.args.slice(i).map((t) => parseGroup(s, list(t, "event group")));
    if (groups.filter((g) => g.filter.kind.startsWith("selected")).length > 1) throw bad("only one of SELECTED and SELECTED-DELAYED (RFC 5465 6.1)");
    const accountId = s.account!.id;
    const last = await s.ctx.db.mailboxChange.findFirst({ where: { accountId }, orderBy: { id: "desc" }, select: { id: true } });
    const boxes = await s.ctx.db.mailbox.findMany({ where: { accountId }, select: { id: true, name: true } });
    const notifier = new Notifier(s, groups, last?.id ?? 0, new Map(boxes.map((b) => [b.id, b.name])));
    s.notifier = notifier;
    if (status) await notifier.initialStatus();
    // RFC 5465 3.1: a NOTIFY SET is also a NOOP: pending changes of the selected mailbox follow (Session, after every command).
  },
};
