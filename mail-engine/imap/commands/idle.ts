/**
 * IDLE (RFC 2177): the client is told of changes as they happen (the session's feed
 * subscription flushes at once while idling) until it sends DONE.
 */
import { noMore } from "../parser/tokens";
import { bad } from "../session";
import { AUTHED, type CommandSpec } from "./types";

export const IDLE: CommandSpec = {
  states: AUTHED,
  async run(s, cmd) {
    noMore(cmd.args, 0);
    // Waiting for DONE starts before anything else is awaited, so a quick DONE is never taken for a command.
    const done = s.nextLine();
    await s.send("+ idling\r\n");
    s.idling = true;
    try {
      if (s.selected) await s.flushUpdates(true);
      const line = await done;
      if (line === null) return;
      if (line.toUpperCase() !== "DONE") throw bad("IDLE ends with DONE");
    } finally {
      s.idling = false;
    }
  },
};
