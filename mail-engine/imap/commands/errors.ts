/** Store refusals as IMAP answers (RFC 5530 response codes). */
import { isStoreError } from "../../../lib/store";
import { no } from "../session";

export function storeFailure(err: unknown): unknown {
  if (!isStoreError(err)) return err;
  switch (err.storeCode) {
    case "no-mailbox":
      return no(err.message, "NONEXISTENT");
    case "exists":
      return no(err.message, "ALREADYEXISTS");
    case "over-quota":
      return no(err.message, "OVERQUOTA");
    case "not-allowed":
      return no(err.message, "CANNOT");
    case "no-account":
      return no(err.message, "UNAVAILABLE");
    case "invalid":
      return no(err.message, "CANNOT");
    default:
      return no(err.message, "UNAVAILABLE");
  }
}
