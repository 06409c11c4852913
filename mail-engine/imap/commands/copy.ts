/**
 * COPY / MOVE and their UID forms (RFC 3501 6.4.7, RFC 6851, RFC 4315 COPYUID). MOVE
 * sends the COPYUID in an untagged OK before the EXPUNGE responses (RFC 6851 4.3).
 */
import { isStoreError } from "../../../lib/store";
import { atom, noMore } from "../parser/tokens";
import { toSequenceSet } from "../../../lib/store/sequence-set";
import { no } from "../session";
import { SELECTED, type CommandSpec } from "./types";
import { mailboxArg } from "./mailboxes";
import { storeFailure } from "./errors";

function copy(move: boolean): CommandSpec {
  return {
    states: SELECTED,
    async run(s, cmd, byUid) {
      noMore(cmd.args, 2);
      const set = atom(cmd.args[0], "sequence set");
      const to = mailboxArg(s, cmd.args[1]);
      const sel = s.selected!;
      if (move && sel.readOnly) throw no("the mailbox is read-only (EXAMINE)", "READ-ONLY");
      const uids = s.resolveSet(set, byUid);
      if (uids.length === 0) {
        // RFC 3501: a UID set that names no message is not an error.
        if (!(await s.ctx.db.mailbox.findUnique({ where: { accountId_name: { accountId: s.account!.id, name: to } }, select: { id: true } }))) throw no(`no such mailbox: ${to}`, "TRYCREATE");
        return;
      }
      try {
        const args = { accountId: s.account!.id, fromMailboxId: sel.id, uids, to: { name: to } };
        let r = move && to !== sel.name ? await s.ctx.store.move(args) : await s.ctx.store.copy(args);
        if (move && to === sel.name) {
          // RFC 6851 3.3 does not exclude the folder itself: new UIDs for the same messages. The store's
          // move leaves that alone, so it is a copy, then an expunge of the originals (a crash between
          // the two leaves a duplicate, never a loss).
          const ex = await s.ctx.store.expunge({ accountId: s.account!.id, mailboxId: sel.id, uids: r.mapping.map((m) => m[0]), onlyDeleted: false });
          r = { ...r, expunged: ex.uids };
        }
        const code = r.mapping.length ? `COPYUID ${r.uidValidity} ${toSequenceSet(r.mapping.map((m) => m[0]))} ${toSequenceSet(r.mapping.map((m) => m[1]))}` : undefined;
        if (!move) return { text: "COPY completed", code };
        if (code) await s.untagged(`OK [${code}] moved`);
        await s.expunged(r.expunged);
        return "MOVE completed";
      } catch (err) {
        if (isStoreError(err, "no-mailbox")) throw no(`no such mailbox: ${to}`, "TRYCREATE");
        throw storeFailure(err);
      }
    },
  };
}

export const COPY = copy(false);
export const MOVE = copy(true);
