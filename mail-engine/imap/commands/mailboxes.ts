/**
 * Mailbox commands (RFC 3501 6.3): LIST / LSUB (with RFC 5258 LIST-EXTENDED selection
 * and return options, RFC 6154 SPECIAL-USE attributes, RFC 3348 CHILDREN), CREATE,
 * DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, STATUS, NAMESPACE. Every change goes through
 * the store, which takes the account id: another account's folders are never named.
 */
import { atom, list, noMore, str, ParseError, type Token } from "../parser/tokens";
import { decodeMutf7, encodeMutf7 } from "../mutf7";
import { raw } from "../encode";
import { bad, no, type Session } from "../session";
import { AUTHED, type CommandSpec } from "./types";
import { storeFailure } from "./errors";

export const SEPARATOR = "/";

/** A mailbox argument as the stored (Unicode) name; INBOX in any case is INBOX (RFC 3501 5.1). */
export function mailboxArg(s: Session, t: Token | undefined): string {
  const v = str(t, "mailbox name");
  let name = v;
  if (!utf8Names(s)) {
    // A name that is not valid modified UTF-7 is taken as it is: it names no folder (NO, not BAD).
    name = decodeMutf7(v) ?? v;
  }
  if (name.toUpperCase() === "INBOX") return "INBOX";
  if (name.toUpperCase().startsWith("INBOX/")) return "INBOX" + name.slice(5);
  return name;
}

/** A name for a folder to be made: it must be valid modified UTF-7, or it could not be listed back as given. */
function newMailboxArg(s: Session, t: Token | undefined): string {
  if (!utf8Names(s) && decodeMutf7(str(t, "mailbox name")) === null) throw no("the mailbox name is not valid modified UTF-7 (RFC 3501 5.1.3)", "CANNOT");
  return mailboxArg(s, t);
}

/** Mailbox names travel as UTF-8 after ENABLE UTF8=ACCEPT (RFC 6855 3) or IMAP4rev2 (RFC 9051 5.1), as modified UTF-7 otherwise. */
function utf8Names(s: Session): boolean {
  return s.rev2 || s.enabled.has("UTF8=ACCEPT");
}

export function nameOut(s: Session, name: string): string {
  return utf8Names(s) ? name : encodeMutf7(name);
}

interface Box {
  name: string;
  specialUse: string | null;
  subscribed: boolean;
  exists: boolean;
}

async function allBoxes(s: Session): Promise<Box[]> {
  const rows = await s.ctx.db.mailbox.findMany({ where: { accountId: s.account!.id }, select: { name: true, specialUse: true, subscribed: true } });
  const byName = new Map<string, Box>(rows.map((r) => [r.name, { ...r, exists: true }]));
  // Subscribed names without a folder (RFC 3501 6.3.6): listed \NonExistent with SUBSCRIBED, in LSUB.
  const subs = await s.ctx.db.subscription.findMany({ where: { accountId: s.account!.id }, select: { name: true } });
  for (const { name } of subs) if (!byName.has(name)) byName.set(name, { name, specialUse: null, subscribed: true, exists: false });
  // Parents that do not exist themselves are listed \NonExistent / \Noselect (RFC 5258 3).
  for (const r of [...byName.values()]) {
    const parts = r.name.split(SEPARATOR);
    for (let i = 1; i < parts.length; i++) {
      const p = parts.slice(0, i).join(SEPARATOR);
      if (!byName.has(p)) byName.set(p, { name: p, specialUse: null, subscribed: false, exists: false });
    }
  }
  return [...byName.values()].sort((a, b) => (a.name === "INBOX" ? -1 : b.name === "INBOX" ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** RFC 3501 6.3.8: "*" matches anything, "%" anything but the separator. */
export function patternRegex(pattern: string): RegExp {
  // INBOX matches case-insensitively (RFC 3501 5.1); other names exactly.
  if (/^inbox(\/|$)/i.test(pattern)) pattern = "INBOX" + pattern.slice(5);
  let re = "";
  for (const ch of pattern) {
    if (ch === "*") re += ".*";
    else if (ch === "%") re += "[^/]*";
    else re += ch.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  return new RegExp("^" + re + "$", "s");
}

async function listCommand(s: Session, cmd: { args: Token[]; tag: string }, lsub: boolean): Promise<void> {
  const args = [...cmd.args];
  const select = new Set<string>();
  const ret = new Set<string>();
  let statusItems: string[] | null = null;
  if (!lsub && args[0]?.type === "list") {
    for (const o of list(args.shift(), "selection options")) {
      const v = atom(o, "selection option").toUpperCase();
      // RFC 5258 3, 6: unknown options are BAD; RECURSIVEMATCH needs an option it can qualify.
      if (!["SUBSCRIBED", "REMOTE", "RECURSIVEMATCH", "SPECIAL-USE"].includes(v)) throw bad(`unknown LIST selection option ${v.slice(0, 40)}`);
      select.add(v);
    }
    if (select.has("RECURSIVEMATCH") && !select.has("SUBSCRIBED") && !select.has("SPECIAL-USE")) throw bad("RECURSIVEMATCH needs SUBSCRIBED or SPECIAL-USE");
  }
  if (args.length < 2) throw new ParseError("LIST needs a reference and a mailbox pattern");
  const ref = mailboxArgRaw(s, args.shift());
  const patTok = args.shift()!;
  const patterns = patTok.type === "list" && !lsub ? patTok.items.map((t) => mailboxArgRaw(s, t)) : [mailboxArgRaw(s, patTok)];
  if (args.length) {
    if (lsub || atom(args.shift(), "RETURN").toUpperCase() !== "RETURN") throw new ParseError("expected RETURN (options)");
    const opts = list(args.shift(), "return options");
    for (let i = 0; i < opts.length; i++) {
      const o = atom(opts[i], "return option").toUpperCase();
      if (!["SUBSCRIBED", "CHILDREN", "SPECIAL-USE", "STATUS"].includes(o)) throw bad(`unknown LIST return option ${o.slice(0, 40)}`);
      ret.add(o);
      // RFC 5819 LIST-STATUS: RETURN (STATUS (items)).
      if (o === "STATUS") statusItems = list(opts[++i], "status items").map((t) => atom(t, "status item").toUpperCase());
    }
    noMore(args, 0);
  }
  const word = lsub ? "LSUB" : "LIST";
  if (patterns.length === 1 && patterns[0] === "") {
    // RFC 3501 6.3.8: the hierarchy delimiter and root.
    await s.untagged(`${word} (\\Noselect) "${SEPARATOR}" ""`);
    return;
  }
  const boxes = await allBoxes(s);
  const regs = patterns.map((p) => patternRegex(ref + p));
  const subscribedOnly = lsub || select.has("SUBSCRIBED");
  const specialOnly = select.has("SPECIAL-USE");
  for (const b of boxes) {
    if (!regs.some((r) => r.test(b.name))) continue;
    if (lsub) {
      // RFC 3501 6.3.9: a level the pattern stops at, above a subscribed folder the pattern does not reach, is listed \Noselect.
      if (b.subscribed) await s.untaggedValues(`LSUB () "${SEPARATOR}"`, [nameOut(s, b.name)]);
      else if (boxes.some((c) => c.subscribed && c.name.startsWith(b.name + SEPARATOR) && !regs.some((r) => r.test(c.name)))) {
        await s.untaggedValues(`LSUB (\\Noselect) "${SEPARATOR}"`, [nameOut(s, b.name)]);
      }
      continue;
    }
    // Children are folders: a subscription below a name does not make it a parent.
    const hasChildren = boxes.some((c) => c.exists && c.name.startsWith(b.name + SEPARATOR));
    // RFC 5258 3.5 (RECURSIVEMATCH): a folder whose subscribed descendant the patterns do not reach is listed for it, with CHILDINFO.
    const childInfo =
      select.has("RECURSIVEMATCH") && select.has("SUBSCRIBED") && boxes.some((c) => c.subscribed && c.name.startsWith(b.name + SEPARATOR) && !regs.some((r) => r.test(c.name)));
    if (subscribedOnly && !b.subscribed && !childInfo) continue;
    // A subscription alone is not a folder: plain LIST does not show it.
    if (!subscribedOnly && !b.exists && !hasChildren) continue;
    if (specialOnly && (!b.specialUse || b.specialUse === "\\Inbox")) continue;
    const attrs: string[] = [];
    if (!b.exists) attrs.push(lsub ? "\\Noselect" : "\\NonExistent");
    attrs.push(hasChildren ? "\\HasChildren" : "\\HasNoChildren");
    if (!lsub && (select.has("SUBSCRIBED") || ret.has("SUBSCRIBED")) && b.subscribed) attrs.push("\\Subscribed");
    if (b.specialUse && b.specialUse !== "\\Inbox" && !lsub) attrs.push(b.specialUse);
    await s.untaggedValues(`${word} (${attrs.join(" ")}) "${SEPARATOR}"`, childInfo ? [nameOut(s, b.name), raw(`("CHILDINFO" ("SUBSCRIBED"))`)] : [nameOut(s, b.name)]);
    if (statusItems && b.exists) await statusResponse(s, b.name, statusItems);
  }
}

/** A name or pattern argument without the INBOX folding (patterns keep their case). */
function mailboxArgRaw(s: Session, t: Token | undefined): string {
  const v = str(t, "mailbox");
  if (utf8Names(s)) return v;
  return decodeMutf7(v) ?? v;
}

export const LIST: CommandSpec = { states: AUTHED, run: (s, cmd) => listCommand(s, cmd, false) };
export const LSUB: CommandSpec = { states: AUTHED, run: (s, cmd) => listCommand(s, cmd, true) };

export const NAMESPACE: CommandSpec = {
  states: AUTHED,
  async run(s, cmd) {
    noMore(cmd.args, 0);
    // RFC 2342: one personal namespace at the root, no shared or other users' namespaces.
    await s.untagged(`NAMESPACE (("" "${SEPARATOR}")) NIL NIL`);
  },
};

export const CREATE: CommandSpec = {
  states: AUTHED,
  async run(s, cmd) {
    noMore(cmd.args, 2);
    let name = newMailboxArg(s, cmd.args[0]);
    // RFC 3501 6.3.3: a trailing separator only says a child will be made.
    if (name.endsWith(SEPARATOR)) name = name.slice(0, -1);
    if (name === "INBOX") throw no("INBOX always exists", "ALREADYEXISTS");
    try {
      // RFC 3501 6.3.3: CREATE does not subscribe (clients SUBSCRIBE when they want to).
      await s.ctx.store.createMailbox({ accountId: s.account!.id, name, subscribed: false });
    } catch (err) {
      throw storeFailure(err);
    }
  },
};

export const DELETE: CommandSpec = {
  states: AUTHED,
  async run(s, cmd) {
    noMore(cmd.args, 1);
    const name = mailboxArg(s, cmd.args[0]);
    try {
      const r = await s.ctx.store.deleteMailbox({ accountId: s.account!.id, name });
      if (s.selected?.id === r.id) {
        s.selected = null;
        s.state = "authenticated";
      }
    } catch (err) {
      throw storeFailure(err);
    }
  },
};

export const RENAME: CommandSpec = {
  states: AUTHED,
  async run(s, cmd) {
    noMore(cmd.args, 2);
    const from = mailboxArg(s, cmd.args[0]);
    const to = newMailboxArg(s, cmd.args[1]);
    try {
      await s.ctx.store.renameMailbox({ accountId: s.account!.id, from, to });
    } catch (err) {
      throw storeFailure(err);
    }
  },
};

function subscribe(on: boolean): CommandSpec {
  return {
    states: AUTHED,
    async run(s, cmd) {
      noMore(cmd.args, 1);
      const name = mailboxArg(s, cmd.args[0]);
      try {
        await s.ctx.store.setSubscribed({ accountId: s.account!.id, name, subscribed: on });
      } catch (err) {
        // RFC 3501 6.3.6 allows subscribing to a name that does not exist; we keep the flag on the folder, so it must exist.
        throw storeFailure(err);
      }
    },
  };
}
export const SUBSCRIBE = subscribe(true);
export const UNSUBSCRIBE = subscribe(false);

const STATUS_ITEMS = new Set(["MESSAGES", "UNSEEN", "UIDNEXT", "UIDVALIDITY", "RECENT", "SIZE", "HIGHESTMODSEQ", "DELETED"]);

/** RFC 3501 6.3.10, RFC 9051 6.3.11 (SIZE): from the folder's counters, never by counting messages. */
export const STATUS: CommandSpec = {
  states: AUTHED,
  async run(s, cmd) {
    noMore(cmd.args, 2);
    const name = mailboxArg(s, cmd.args[0]);
    const items = list(cmd.args[1], "status items").map((t) => atom(t, "status item").toUpperCase());
    if (items.length === 0) throw bad("STATUS needs at least one item");
    for (const it of items) if (!STATUS_ITEMS.has(it)) throw bad(`unknown status item ${it.slice(0, 40)}`);
    await statusResponse(s, name, items);
  },
};

export async function statusResponse(s: Session, name: string, items: string[]): Promise<void> {
    const mb = await s.ctx.db.mailbox.findUnique({ where: { accountId_name: { accountId: s.account!.id, name } } });
    if (!mb) throw no(`no such mailbox: ${name}`, "NONEXISTENT");
    const out: string[] = [];
    for (const it of items) {
      if (it === "MESSAGES") out.push(`MESSAGES ${mb.messageCount}`);
      else if (it === "UNSEEN") out.push(`UNSEEN ${mb.unseenCount}`);
      else if (it === "UIDNEXT") out.push(`UIDNEXT ${mb.uidNext}`);
      else if (it === "UIDVALIDITY") out.push(`UIDVALIDITY ${mb.uidValidity}`);
      else if (it === "RECENT") out.push(`RECENT ${mb.recentUid >= mb.uidNext - 1 ? 0 : await s.ctx.db.message.count({ where: { mailboxId: mb.id, uid: { gt: mb.recentUid } } })}`);
      else if (it === "SIZE") out.push(`SIZE ${mb.totalBytes}`);
      // RFC 9051 6.3.11: the number of messages with \Deleted.
      else if (it === "DELETED") out.push(`DELETED ${await s.ctx.db.message.count({ where: { mailboxId: mb.id, deleted: true } })}`);
      else if (it === "HIGHESTMODSEQ") out.push(`HIGHESTMODSEQ ${mb.highestModSeq}`);
      else throw bad(`unknown status item ${it.slice(0, 40)}`);
    }
    await s.untaggedValues("STATUS", [nameOut(s, mb.name), rawList(out)]);
}

const rawList = (items: string[]) => raw(`(${items.join(" ")})`);
