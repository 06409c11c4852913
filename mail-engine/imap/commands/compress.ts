/** COMPRESS DEFLATE (RFC 4978): after the tagged OK both directions are deflated (deflate-stream.ts). */
import { atom, noMore } from "../parser/tokens";
import { bad, no, Silent } from "../session";
import { AUTHED, type CommandSpec } from "./types";

export const COMPRESS: CommandSpec = {
  states: AUTHED,
  noUpdates: true,
  async run(s, cmd) {
    noMore(cmd.args, 1);
    const mechanism = atom(cmd.args[0], "compression mechanism").toUpperCase();
    if (mechanism !== "DEFLATE") throw bad(`unknown compression mechanism ${mechanism.slice(0, 40)}: DEFLATE is offered`);
    // RFC 4978 3: once only.
    if (s.compressed) throw no("compression is already active", "COMPRESSIONACTIVE");
    await s.send(`${cmd.tag} OK DEFLATE active\r\n`);
    s.startCompression();
    throw new Silent();
  },
};
