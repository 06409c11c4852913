/** What a listener that cannot bind tells the operator: the variable to change, and how. */
import type { ListenerKind } from "./transaction";

/** The setting that chooses each listener's port, named in errors so the fix is obvious. */
export const PORT_VARIABLE: Record<ListenerKind, string> = { mx: "SMTP_PORT", submission: "SUBMISSION_PORT", submissions: "SUBMISSIONS_PORT" };

/** What to tell the operator when a listener cannot bind. */
export function listenErrorHint(kind: ListenerKind, port: number, code: string | undefined): string {
  const variable = PORT_VARIABLE[kind];
  if (code === "EADDRINUSE") return `another program uses port ${port}; stop it, or set ${variable} to a free port (0 disables the listener)`;
  if (code === "EACCES") {
    return `ports below 1024 need root or CAP_NET_BIND_SERVICE; as a normal user, use unprivileged ports: SMTP_PORT=2525 SUBMISSION_PORT=2587 SUBMISSIONS_PORT=2465 IMAP_PORT=2143 IMAPS_PORT=2993 POP3_PORT=2110 POP3S_PORT=2995 npm start (README, "Two commands")`;
  }
  return `check ${variable} and BIND_ADDRESS`;
}
