/** EXPUNGE (RFC 3501 6.4.3) and UID EXPUNGE (RFC 4315 2.1): removes \Deleted messages, told one by one. */
import { atom, noMore } from "../parser/tokens";
import { no } from "../session";
import { SELECTED, type CommandSpec } from "./types";

export const EXPUNGE: CommandSpec = {
  states: SELECTED,
  async run(s, cmd, byUid) {
    noMore(cmd.args, byUid ? 1 : 0);
    const sel = s.selected!;
    if (sel.readOnly) throw no("the mailbox is read-only (EXAMINE)", "READ-ONLY");
    const uids = byUid ? s.resolveSet(atom(cmd.args[0], "UID set"), true) : undefined;
    if (uids && uids.length === 0) return;
    const r = await s.ctx.store.expunge({ accountId: s.account!.id, mailboxId: sel.id, uids, onlyDeleted: true });
    await s.expunged(r.uids);
  },
};
