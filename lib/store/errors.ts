/**
 * A change the store refused because of the request, not a failure of the store: the
 * caller turns `code` into its protocol's answer (SMTP 550/452, IMAP NO [TRYCREATE] /
 * [OVERQUOTA] / [ALREADYEXISTS], a form message). Anything else thrown by the store is a
 * temporary failure (SMTP 451, IMAP NO [SERVERBUG]).
 */
export type StoreErrorCode =
  | "no-account" // the account does not exist (any more)
  | "no-mailbox" // no such folder (IMAP [TRYCREATE])
  | "over-quota" // the account's quota would be exceeded (IMAP [OVERQUOTA], SMTP 452 4.2.2)
  | "exists" // a folder of that name exists (IMAP [ALREADYEXISTS])
  | "invalid" // a bad name or argument
  | "not-allowed" // e.g. deleting INBOX, or a folder with children
  | "blob-missing"; // a file blob vanished under a concurrent sweep: retry

export class StoreError extends Error {
  readonly storeCode: StoreErrorCode;
  constructor(code: StoreErrorCode, message: string) {
    super(message);
    this.storeCode = code;
  }
}

/** Rebuilds a StoreError that crossed a thread boundary as {message, storeCode}. */
export function reviveError(e: { message: string; storeCode?: StoreErrorCode; code?: string }): Error {
  if (e.storeCode) return new StoreError(e.storeCode, e.message);
  return Object.assign(new Error(e.message), e.code ? { code: e.code } : {});
}

export function isStoreError(e: unknown, code?: StoreErrorCode): e is StoreError {
  return e instanceof StoreError && (code === undefined || e.storeCode === code);
}
