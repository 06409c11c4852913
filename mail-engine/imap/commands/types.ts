import type { ParsedCommand } from "../parser/tokens";
import type { Session, State } from "../session";

export type CommandResult = string | { text: string; code?: string } | void;

export interface CommandSpec {
  /** The states the command is valid in (RFC 3501 6.1-6.4). */
  states: State[];
  /** Commands that must not be followed by the pending-update report (IDLE reports itself). */
  noUpdates?: boolean;
  run(s: Session, cmd: ParsedCommand, uid: boolean): Promise<CommandResult>;
}

export const ANY: State[] = ["not-authenticated", "authenticated", "selected"];
export const AUTHED: State[] = ["authenticated", "selected"];
export const SELECTED: State[] = ["selected"];
