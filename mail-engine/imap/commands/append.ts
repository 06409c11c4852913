/**
 * APPEND (RFC 3501 6.3.11): a message literal, optional flags and internal date, into a
 * folder through the store, or several at once (MULTIAPPEND, RFC 3502: in one transaction);
 * a message may be built from parts with CATENATE (RFC 4469, ./catenate.ts);
 * APPENDUID (RFC 4315 3), TRYCREATE for a missing folder,
 * OVERQUOTA (RFC 9208 / 5530) when the quota would be exceeded.
 */
import { isStoreError, type AppendRequest } from "../../../lib/store";
import { list, ParseError, type Token } from "../parser/tokens";
import { bad, no } from "../session";
import { AUTHED, type CommandSpec } from "./types";
import { mailboxArg } from "./mailboxes";
import { parseFlags } from "./flags";
import { storeFailure } from "./errors";
import { catenate, parseCatenate, type CatPart } from "./catenate";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE (RFC 3501 9). */
export function parseDateTime(v: string): Date {
  const m = /^ ?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/.exec(v);
  const month = m ? MONTHS.findIndex((x) => x.toLowerCase() === m[2].toLowerCase()) : -1;
  if (!m || month < 0) throw bad(`bad date-time ${JSON.stringify(v.slice(0, 40))}: use "02-Dec-2026 09:15:00 +0000"`);
  const offset = (m[7] === "-" ? -1 : 1) * (Number(m[8]) * 60 + Number(m[9]));
  const t = Date.UTC(Number(m[3]), month, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6])) - offset * 60_000;
  const d = new Date(t);
  const dayValid = new Date(Date.UTC(Number(m[3]), month, Number(m[1]))).getUTCMonth() === month;
  if (Number.isNaN(t) || !dayValid || Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6]) > 60) throw bad(`bad date-time ${JSON.stringify(v.slice(0, 40))}`);
  return d;
}

export const APPEND: CommandSpec = {
  states: AUTHED,
  async run(s, cmd) {
    const args: Token[] = [...cmd.args];
    const name = mailboxArg(s, args.shift());
    const accountId = s.account!.id;
    const max = s.ctx.config.maxMessageSize;
    // RFC 3502 MULTIAPPEND: one or more (flags, date, message) groups, all stored or none.
    const groups: Array<{ flags: ReturnType<typeof parseFlags>; date?: Date; raw?: Buffer; parts?: CatPart[] }> = [];
    while (args.length || groups.length === 0) {
      let flags: ReturnType<typeof parseFlags> = { flags: [], keywords: [] };
      let date: Date | undefined;
      if (args[0]?.type === "list") flags = parseFlags(list(args.shift(), "flags"));
      const d0 = args[0];
      if (d0?.type === "string" && !d0.literal) {
        args.shift();
        date = parseDateTime(d0.value.toString("latin1"));
      }
      const msg = args.shift();
      // RFC 4469 5: append-data =/ "CATENATE" SP "(" cat-part *(SP cat-part) ")".
      if (msg?.type === "atom" && msg.value.toUpperCase() === "CATENATE") {
        groups.push({ flags, date, parts: parseCatenate(list(args.shift(), "CATENATE parts")) });
        continue;
      }
      if (!msg || msg.type !== "string" || !msg.literal) throw new ParseError("APPEND needs each message as a literal or CATENATE (parts)");
      if (msg.value.length === 0) throw no("the message is empty");
      if (msg.value.length > max) throw no(`the message exceeds ${max} octets`, "TOOBIG");
      groups.push({ flags, date, raw: msg.value });
    }
    if (groups.some((g) => g.parts)) {
      // A missing folder is TRYCREATE (RFC 3501 6.3.11) before any URL is looked at.
      const mb = await s.ctx.db.mailbox.findUnique({ where: { accountId_name: { accountId, name } }, select: { id: true } });
      if (!mb) throw no(`no such mailbox: ${name}`, "TRYCREATE");
      for (const g of groups) if (g.parts) g.raw = await catenate(s, g.parts, max);
      if (groups.some((g) => g.raw!.length === 0)) throw no("the catenated message is empty");
    }
    const reqs: AppendRequest[] = groups.map((g) => ({ accountId, mailbox: name, raw: g.raw!, flags: g.flags.flags, keywords: g.flags.keywords, internalDate: g.date }));
    try {
      if (reqs.length === 1) {
        const d = await s.ctx.store.append(reqs[0]);
        return { text: "APPEND completed", code: `APPENDUID ${d.uidValidity} ${d.uid}` };
      }
      const ds = await s.ctx.store.appendAll(reqs);
      // RFC 4315 3: the UIDs of a MULTIAPPEND in order, as a set (they are consecutive).
      return { text: `APPEND of ${ds.length} messages completed`, code: `APPENDUID ${ds[0].uidValidity} ${ds[0].uid}:${ds[ds.length - 1].uid}` };
    } catch (err) {
      // RFC 3501 6.3.11: TRYCREATE tells the client that CREATE would help.
      if (isStoreError(err, "no-mailbox")) throw no(`no such mailbox: ${name}`, "TRYCREATE");
      throw storeFailure(err);
    }
  },
};
