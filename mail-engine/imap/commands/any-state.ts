/** Commands valid in every state (RFC 3501 6.1): CAPABILITY, NOOP, LOGOUT; ID (RFC 2971). */
import { list, noMore, str, type Token } from "../parser/tokens";
import { ANY, type CommandSpec } from "./types";
import { bad } from "../session";

export const CAPABILITY: CommandSpec = {
  states: ANY,
  async run(s, cmd) {
    noMore(cmd.args, 0);
    await s.untagged(`CAPABILITY ${s.capabilities().join(" ")}`);
  },
};

/** RFC 3501 6.1.2: does nothing, but pending updates are told (the session does that after every command). */
export const NOOP: CommandSpec = {
  states: ANY,
  async run(_s, cmd) {
    noMore(cmd.args, 0);
  },
};

export const LOGOUT: CommandSpec = {
  states: ANY,
  async run(s, cmd) {
    noMore(cmd.args, 0);
    await s.untagged("BYE logging out");
    await s.send(`${cmd.tag} OK LOGOUT completed\r\n`);
    s.log.info("imap.logout", { cid: s.cid, ip: s.ip, user: s.account?.email });
    s.end();
  },
};

/** RFC 2971: the client's identification is logged; ours is the product name. */
export const ID: CommandSpec = {
  states: ANY,
  async run(s, cmd) {
    noMore(cmd.args, 1);
    const a = cmd.args[0];
    const client: Record<string, string> = {};
    if (a && !(a.type === "atom" && a.value.toUpperCase() === "NIL")) {
      const items: Token[] = list(a, "ID parameters");
      if (items.length > 60) throw bad("at most 30 ID field/value pairs (RFC 2971 3.3)");
      for (let i = 0; i + 1 < items.length; i += 2) {
        const v = items[i + 1];
        client[str(items[i], "field").slice(0, 30)] = v.type === "atom" && v.value.toUpperCase() === "NIL" ? "" : str(v, "value").slice(0, 1024);
      }
    }
    s.log.info("imap.id", { cid: s.cid, client });
    await s.untagged(`ID ("name" "mail-suite" "vendor" "mail-suite")`);
  },
};
