/**
 * SMTP replies with exact enhanced status codes (RFC 3463).
 *
 * smtp-server derives the enhanced code of an error reply from its three-digit code
 * alone (554 is always 5.6.0, 553 always 5.1.3), which is wrong for relay denial
 * (554 5.7.1), sender spoofing (553 5.7.1) or bare line endings (550 5.6.0). Errors made
 * with smtpError() carry their enhanced code at the start of the text; the patch below
 * makes the connection send that code instead of the derived one. Besides
 * connection-patch.ts (the connection policy), this is the only place that reaches into
 * the library's internals; package.json pins smtp-server's exact version for both.
 */
import { SMTPConnection } from "smtp-server/lib/smtp-connection.js";

export interface SmtpError extends Error {
  responseCode: number;
}

const ENHANCED_PREFIX = /^[245]\.\d{1,3}\.\d{1,3} /;

export function smtpError(code: number, enhanced: string, text: string): SmtpError {
  const err = new Error(`${enhanced} ${text}`) as SmtpError;
  err.responseCode = code;
  return err;
}

let patched = false;

export function installEnhancedCodePatch(): void {
  if (patched) return;
  patched = true;
  const proto = (SMTPConnection as unknown as { prototype: { send(code: number, data: unknown, context?: unknown): void } }).prototype;
  const original = proto.send;
  proto.send = function (code: number, data: unknown, context?: unknown) {
    if (typeof data === "string" && ENHANCED_PREFIX.test(data)) return original.call(this, code, data, false);
    return original.call(this, code, data, context);
  };
}
