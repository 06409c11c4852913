/** What the parts of the summary fast path share: limits, the shapes it walks, and its way of giving up. */
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

/** Thrown for anything the fast path does not mirror; fastSummary() turns it into null. */
const GIVE_UP = new Error("fast path: unsupported message shape");
export function giveUp(): never {
  throw GIVE_UP;
}

export const LF = 0x0a;
export const CR = 0x0d;
export const DASH = 0x2d;

export const MAX_NODES = 200; // mailsplit fails above 1000 nodes; leave such messages to it
export const MAX_DEPTH = 16;
export const MAX_HEADER_BYTES = 256 * 1024; // mailsplit fails above 1 MiB of (weighted) header
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

export interface Ancestry {
  related: boolean;
  alternative: boolean;
  boundaries: string[];
  depth: number;
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
}

export interface WalkState {
  raw: Buffer;
  nodes: number;
  hasText: boolean;
  hasAttachments: boolean;
  leaves: TextLeaf[];
}
