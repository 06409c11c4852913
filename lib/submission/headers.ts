/** The header fields a submission server completes (no MIME libraries: the MX-only engine loads this). */
import { headerValues, newMessageIdHeader, rfc5322Date } from "../mime/headers";

/** RFC 6409 8.2, 8.3: a missing Date and Message-ID are added by the submission server; returns the lines to add. */
export function completeHeaders(header: Buffer, hostname: string): string {
  let extra = "";
  if (headerValues(header, "date").length === 0) extra += `Date: ${rfc5322Date()}\r\n`;
  if (headerValues(header, "message-id").length === 0) extra += `Message-ID: ${newMessageIdHeader(hostname)}\r\n`;
  return extra;
}
