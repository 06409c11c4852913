/**
 * QUOTA (RFC 9208) from the account's quota: one root, "", holding every folder, with
 * the STORAGE resource in units of 1024 octets. The quota is set by the administrator
 * (mailctl), so SETQUOTA is refused.
 */
import { noMore, str } from "../parser/tokens";
import { no, type Session } from "../session";
import { AUTHED, type CommandSpec } from "./types";
import { mailboxArg, nameOut } from "./mailboxes";

async function quotaLine(s: Session): Promise<void> {
  const acc = await s.ctx.db.account.findUnique({ where: { id: s.account!.id }, select: { quotaBytes: true, usedBytes: true } });
  if (!acc) throw no("the account no longer exists");
  const limit = acc.quotaBytes > 0n ? ` (STORAGE ${(acc.usedBytes + 1023n) / 1024n} ${acc.quotaBytes / 1024n})` : " ()";
  await s.untagged(`QUOTA ""${limit}`);
}

export const GETQUOTAROOT: CommandSpec = {
  states: AUTHED,
  async run(s, cmd) {
    noMore(cmd.args, 1);
    const name = mailboxArg(s, cmd.args[0]);
    const mb = await s.ctx.db.mailbox.findUnique({ where: { accountId_name: { accountId: s.account!.id, name } }, select: { name: true } });
    if (!mb) throw no(`no such mailbox: ${name}`, "NONEXISTENT");
    await s.untaggedValues("QUOTAROOT", [nameOut(s, mb.name), ""]);
    await quotaLine(s);
  },
};

export const GETQUOTA: CommandSpec = {
  states: AUTHED,
  async run(s, cmd) {
    noMore(cmd.args, 1);
    if (str(cmd.args[0], "quota root") !== "") throw no("the only quota root is \"\"", "NONEXISTENT");
    await quotaLine(s);
  },
};

export const SETQUOTA: CommandSpec = {
  states: AUTHED,
  async run() {
    throw no("quotas are set by the administrator (mailctl)", "NOPERM");
  },
};
