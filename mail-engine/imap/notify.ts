/**
 * What NOTIFY (RFC 5465) asked a session to be told, and the telling. Changes come from the
 * same change feed as IDLE (lib/store/change-feed.ts, via Session.signedIn); they are
 * gathered per mailbox and told between commands, at the end of each command, or at once
 * during IDLE (RFC 5465 4), never in the middle of another response:
 *
 * - the selected mailbox (filter SELECTED / SELECTED-DELAYED, 6.1): its usual EXISTS,
 *   EXPUNGE (or VANISHED) and FETCH FLAGS, told as they happen (SELECTED-DELAYED keeps
 *   expunges for a command that allows them, 6.1.2), and for MessageNew with fetch
 *   attributes a FETCH of each new message (5.2);
 * - other mailboxes: STATUS for MessageNew / MessageExpunge (MESSAGES UIDNEXT, 5.2, 5.3)
 *   and FlagChange (UIDVALIDITY UNSEEN, 5.1), with HIGHESTMODSEQ under CONDSTORE/QRESYNC;
 *   LIST for MailboxName (created, \NonExistent when deleted, OLDNAME when renamed, 5.4)
 *   and SubscriptionChange (\Subscribed when subscribed, 5.5).
 *
 * Events older than the NOTIFY SET are not told (its STATUS option says where things stand).
 */
import type { Change } from "../../lib/store/journal";
import { toSequenceSet } from "../../lib/store/sequence-set";
import { raw, type Value } from "./encode";
import type { Token } from "./parser/tokens";
import { nameOut, SEPARATOR, statusResponse } from "./commands/mailboxes";
import type { Session } from "./session";

export type Filter =
  | { kind: "selected" | "selected-delayed" | "inboxes" | "personal" | "subscribed" }
  | { kind: "subtree" | "mailboxes"; names: string[] };

export interface EventGroup {
  filter: Filter;
  events: Set<string>;
  /** MessageNew's fetch attributes (SELECTED filters only, RFC 5465 8). */
  fetch?: Token[];
}

export const MESSAGE_EVENTS = ["MessageNew", "MessageExpunge", "FlagChange"];
export const MAILBOX_EVENTS = ["MailboxName", "SubscriptionChange"];

/** Pending non-selected changes are coalesced per mailbox; past this many mailboxes, NOTIFICATIONOVERFLOW (5.8). */
const MAX_PENDING_MAILBOXES = 1000;

export class Notifier {
  /** mailbox id -> the change kinds not yet told. */
  private pending = new Map<string, Set<string>>();
  /** mailbox id -> name, for deleted and renamed mailboxes (the journal row has only the id). */
  private names = new Map<string, string>();
  /** Renames in arrival order: [id, old name]. */
  private renames: Array<[string, string]> = [];

  constructor(
    private readonly s: Session,
    readonly groups: EventGroup[],
    /** The journal id at NOTIFY SET: older changes are not told. */
    private readonly sinceId: number,
    names: Map<string, string>,
  ) {
    this.names = names;
  }

  /** The SELECTED or SELECTED-DELAYED group, if any. */
  get selected(): EventGroup | undefined {
    return this.groups.find((g) => g.filter.kind === "selected" || g.filter.kind === "selected-delayed");
  }

  /** A change from the feed. True when the session should speak now (Session.wake). */
  onChange(c: Change, isSelected: boolean): boolean {
    if (c.id <= this.sinceId) return false;
    const mailboxEvent = c.kind.startsWith("mailbox-");
    if (isSelected && !mailboxEvent) return !!this.selected;
    if (c.kind === "mailbox-rename") this.renames.push([c.mailboxId, this.names.get(c.mailboxId) ?? ""]);
    let kinds = this.pending.get(c.mailboxId);
    if (!kinds) {
      if (this.pending.size >= MAX_PENDING_MAILBOXES) {
        this.overflow = true;
        return true;
      }
      this.pending.set(c.mailboxId, (kinds = new Set()));
    }
    // A child renamed with its parent is journalled with MODSEQ 0: RFC 5465 5.4 tells only the parent.
    kinds.add(c.kind === "mailbox-rename" && c.modSeq === "0" ? "mailbox-rename-child" : c.kind);
    return true;
  }

  /** Set when too much piled up: the session says NOTIFICATIONOVERFLOW and behaves as after NOTIFY NONE (5.8). */
  overflow = false;

  /** Tells what is pending for mailboxes other than the selected one. */
  async deliver(): Promise<void> {
    if (this.overflow) {
      this.s.notifier = null;
      await this.s.untagged("OK [NOTIFICATIONOVERFLOW] too many changes; notifications are off (NOTIFY NONE)");
      return;
    }
    if (!this.pending.size) return;
    const pending = this.pending;
    const renames = new Map(this.renames);
    this.pending = new Map();
    this.renames = [];
    const accountId = this.s.account!.id;
    const rows = await this.s.ctx.db.mailbox.findMany({ where: { accountId, id: { in: [...pending.keys()] } }, select: { id: true, name: true, subscribed: true } });
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const [id, kinds] of pending) {
      const row = byId.get(id);
      const name = row?.name ?? this.names.get(id);
      if (row) this.names.set(id, row.name);
      if (kinds.has("mailbox-delete")) this.names.delete(id);
      if (name === undefined || this.s.notifier !== this) continue;
      const subscribed = row ? row.subscribed : false;
      const events = this.eventsFor(name, subscribed, this.s.selected?.id === id);
      if (events.has("MailboxName")) {
        if (kinds.has("mailbox-delete")) await this.list(name, ["\\NonExistent"]);
        else if (kinds.has("mailbox-rename") && row) await this.list(row.name, await this.attrs(row.name, row.subscribed), renames.get(id));
        else if (kinds.has("mailbox-create") && row) await this.list(row.name, await this.attrs(row.name, row.subscribed));
      }
      if (events.has("SubscriptionChange") && kinds.has("mailbox-update") && row) await this.list(row.name, await this.attrs(row.name, row.subscribed));
      if (!row) continue;
      const items = new Set<string>();
      const condstore = this.s.enabled.has("CONDSTORE");
      if ((kinds.has("append") && events.has("MessageNew")) || (kinds.has("expunge") && events.has("MessageExpunge"))) {
        items.add("MESSAGES").add("UIDNEXT");
        // RFC 5465 5.2: HIGHESTMODSEQ with CONDSTORE; 5.3: with QRESYNC.
        if (kinds.has("append") ? condstore : this.s.enabled.has("QRESYNC")) items.add("HIGHESTMODSEQ");
      }
      if (kinds.has("flags") && events.has("FlagChange")) {
        items.add("UIDVALIDITY").add("UNSEEN");
        if (condstore) items.add("HIGHESTMODSEQ");
      }
      if (items.size) await this.status(row.name, items);
    }
  }

  /** The events asked for a mailbox that is not (for message events) the selected one. */
  eventsFor(name: string, subscribed: boolean, isSelected: boolean): Set<string> {
    const out = new Set<string>();
    for (const g of this.groups) {
      const f = g.filter;
      if (f.kind === "selected" || f.kind === "selected-delayed") continue;
      let match: boolean;
      if (f.kind === "mailboxes") match = f.names.includes(name);
      else if (f.kind === "subtree") match = f.names.some((n) => name === n || name.startsWith(n + SEPARATOR));
      else if (f.kind === "subscribed") match = subscribed;
      // RFC 5465 6.3: "inboxes" is "personal" when the server cannot tell where mail is delivered.
      else match = true;
      if (!match) continue;
      // RFC 5465 3.1: SELECTED overrides other filters' message events for the selected mailbox.
      for (const e of g.events) if (!isSelected || !MESSAGE_EVENTS.includes(e)) out.add(e);
    }
    return out;
  }

  /** NOTIFY SET STATUS (RFC 5465 3.1): where each watched mailbox (other than the selected one) stands now. */
  async initialStatus(): Promise<void> {
    const rows = await this.s.ctx.db.mailbox.findMany({ where: { accountId: this.s.account!.id }, select: { id: true, name: true, subscribed: true }, orderBy: { name: "asc" } });
    for (const r of rows) {
      if (r.id === this.s.selected?.id) continue;
      const events = this.eventsFor(r.name, r.subscribed, false);
      const items = new Set<string>();
      if (events.has("MessageNew")) items.add("MESSAGES").add("UIDNEXT").add("UIDVALIDITY");
      if (events.has("MessageExpunge")) items.add("MESSAGES");
      if (events.has("FlagChange")) items.add("UIDVALIDITY").add("HIGHESTMODSEQ");
      if (items.size) await this.status(r.name, items);
    }
  }

  private async status(name: string, items: Set<string>): Promise<void> {
    const order = ["MESSAGES", "UIDNEXT", "UIDVALIDITY", "UNSEEN", "HIGHESTMODSEQ"];
    try {
      await statusResponse(this.s, name, order.filter((i) => items.has(i)));
    } catch {
      /* gone since: its deletion is its own event */
    }
  }

  private async attrs(name: string, subscribed: boolean): Promise<string[]> {
    const child = await this.s.ctx.db.mailbox.findFirst({ where: { accountId: this.s.account!.id, name: { startsWith: name + SEPARATOR } }, select: { id: true } });
    return [child ? "\\HasChildren" : "\\HasNoChildren", ...(subscribed ? ["\\Subscribed"] : [])];
  }

  /** An extended LIST response (RFC 5258), with OLDNAME for a rename (RFC 5465 5.4). */
  private list(name: string, attrs: string[], oldName?: string): Promise<void> {
    const values: Value[] = [nameOut(this.s, name)];
    if (oldName) values.push([raw('"OLDNAME"'), [nameOut(this.s, oldName)]]);
    return this.s.untaggedValues(`LIST (${attrs.join(" ")}) "${SEPARATOR}"`, values);
  }
}

/** NOTIFY's MessageNew (fetch-att ...) for the selected mailbox: a FETCH of the new messages after their EXISTS (RFC 5465 5.2). */
export async function fetchNew(s: Session, uids: number[]): Promise<void> {
  const items = s.notifier?.selected?.fetch;
  if (!items || !uids.length || !s.notifier?.selected?.events.has("MessageNew")) return;
  // The FETCH command module is loaded on use: it imports the session module, which imports this one.
  const { FETCH } = await import("./commands/fetch");
  await FETCH.run(s, { tag: "*", name: "FETCH", args: [{ type: "atom", value: toSequenceSet(uids) }, { type: "list", items }] }, true);
  // FETCH keeps its last responses for the tagged OK that follows a command; here none follows.
  await s.flushHeld();
}
