/** The command table: name -> handler with the states it is valid in. */
import type { CommandSpec } from "./types";
import { CAPABILITY, ID, LOGOUT, NOOP } from "./any-state";
import { AUTHENTICATE, ENABLE, LOGIN, STARTTLS } from "./auth";
import { CREATE, DELETE, LIST, LSUB, NAMESPACE, RENAME, STATUS, SUBSCRIBE, UNSUBSCRIBE } from "./mailboxes";
import { CHECK, CLOSE, EXAMINE, SELECT, UNSELECT } from "./select";
import { APPEND } from "./append";
import { EXPUNGE } from "./expunge";
import { STORE } from "./store";
import { COPY, MOVE } from "./copy";
import { FETCH } from "./fetch";
import { CANCELUPDATE, SEARCH } from "./search";
import { NOTIFY } from "./notify";
import { IDLE } from "./idle";
import { SORT, THREAD } from "./sort";
import { COMPRESS } from "./compress";
import { GETQUOTA, GETQUOTAROOT, SETQUOTA } from "./quota";

let table: Map<string, CommandSpec> | null = null;

/** Built on first use: the command modules import the session module, which uses this table. */
export function commandTable(): Map<string, CommandSpec> {
  return (table ??= new Map(Object.entries({
  CAPABILITY, NOOP, LOGOUT, ID,
  STARTTLS, LOGIN, AUTHENTICATE, ENABLE,
  LIST, LSUB, NAMESPACE, CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, STATUS,
  SELECT, EXAMINE, CLOSE, UNSELECT, CHECK,
  APPEND, EXPUNGE, STORE, COPY, MOVE, FETCH, SEARCH, CANCELUPDATE, SORT, THREAD, IDLE, NOTIFY,
  GETQUOTAROOT, GETQUOTA, SETQUOTA, COMPRESS,
  })));
}
