/**
 * One POP3 session per account at a time (RFC 1939 8: the server locks the maildrop;
 * a second session gets -ERR [IN-USE], RFC 2449 8.1.1 / RFC 3206). The lock lives in
 * this process: the engine runs one POP3 listener set per process.
 */
const holders = new Map<string, symbol>();

/** Takes the lock for accountId; returns the function that releases it, or null if it is held. */
export function lockMaildrop(accountId: string): (() => void) | null {
  if (holders.has(accountId)) return null;
  const token = Symbol(accountId);
  holders.set(accountId, token);
  return () => {
    if (holders.get(accountId) === token) holders.delete(accountId);
  };
}
