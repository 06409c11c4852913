/** What the summary code (headers, snippet) shares with the delivery parser: limits and the shapes it reads. */
import type { AddressObject } from "mailparser";
import type { AddressEntry } from "../summary";

/** The length of the snippet stored with each message. */
export const SNIPPET_LENGTH = 200;

type AddressItem = AddressObject["value"][number];

/** Flattens parsed addresses (groups included) into name + lower-case address. */
export function walkAddresses(items: AddressItem[], out: AddressEntry[]): void {
  for (const a of items) {
    if (a.group) walkAddresses(a.group, out);
    else if (a.address || a.name) out.push({ name: a.name ?? "", address: (a.address ?? "").toLowerCase() });
  }
}

export const LF = 0x0a;
export const CR = 0x0d;

/** How much of an encoded text/plain body is decoded first; more only if the snippet needs it. */
export const TEXT_PREFIX_BYTES = 768;
/** How much of the HTML body is converted to text first; more only if the snippet needs it. */
export const HTML_PREFIX_CHARS = 1024;
/** Characters at the end of text decoded from a cut-off body prefix that are not trusted. */
export const PREFIX_MARGIN = 32;

/** The content types mailparser treats as text (it drops message/delivery-status into the text too). */
export const TEXT_TYPES = new Set(["text/plain", "text/html", "message/delivery-status"]);

export interface HeaderLine {
  key: string;
  /** The raw header line, unfolded with CRLF kept, as a binary (latin1) string. */
  line: string;
}

/** An inline text part mailparser would put into `text`, in document order. */
export interface TextLeaf {
  type: string;
  charset: string | false;
  encoding: string;
  flowed: boolean;
  delSp: boolean;
  start: number;
  end: number;
  root: boolean;
  alternative: boolean;
  /** Text given as is (an embedded message's meta lines), not read from the message. */
  literal?: string;
}

export interface WalkState {
  raw: Buffer;
  nodes: number;
  hasText: boolean;
  hasAttachments: boolean;
  leaves: TextLeaf[];
  /** The snippet ran out of time and stopped before a text part. */
  timedOut?: boolean;
}

/** The authors after the first, for MessageSummary.fromOthers. */
export function otherAuthors(authors: AddressEntry[]): string {
  return authors
    .slice(1)
    .map((a) => (a.name ? `${a.name} <${a.address}>` : a.address))
    .join(", ");
}
