/**
 * The items of a FETCH (RFC 3501 6.4.5 and 9 fetch-att; RFC 3516 BINARY; RFC 7162
 * MODSEQ), parsed once per command into Item values the responses are built from.
 */
import { atom, ParseError, type Token } from "../parser/tokens";

export interface Item {
  kind: "FLAGS" | "UID" | "INTERNALDATE" | "RFC822.SIZE" | "ENVELOPE" | "BODYSTRUCTURE" | "BODY" | "MODSEQ" | "SECTION" | "BINARY.SIZE";
  /** SECTION: BODY / BINARY, the section text, header names, partial, peek. */
  binary?: boolean;
  section?: string;
  fields?: string[];
  not?: boolean;
  partial?: [number, number | null];
  peek?: boolean;
  /** The name in the response (RFC822 forms answer as themselves). */
  label?: string;
}

export const MACROS: Record<string, string[]> = {
  ALL: ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"],
  FAST: ["FLAGS", "INTERNALDATE", "RFC822.SIZE"],
  FULL: ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"],
};

/** One fetch attribute (RFC 3501 6.4.5); also NOTIFY's MessageNew attributes (RFC 5465 5.2). */
export function parseItem(t: Token): Item {
  if (t.type !== "atom") throw new ParseError("fetch items are atoms");
  const name = t.value.toUpperCase();
  if (t.section !== undefined) {
    const binary = name === "BINARY" || name === "BINARY.PEEK" || name === "BINARY.SIZE";
    if (!binary && name !== "BODY" && name !== "BODY.PEEK") throw new ParseError(`${name.slice(0, 40)}[...] is not a fetch item`);
    const sec = t.section;
    let section = "";
    let fields: string[] | undefined;
    let not = false;
    if (sec.length) {
      section = atom(sec[0], "section").toUpperCase();
      if (/(^|\.)HEADER\.FIELDS(\.NOT)?$/.test(section)) {
        if (sec.length !== 2 || sec[1].type !== "list" || sec[1].items.length === 0) throw new ParseError("HEADER.FIELDS needs a list of field names");
        fields = sec[1].items.map((x) => (x.type === "string" ? x.value.toString("latin1") : atom(x, "field name")).toUpperCase());
        not = section.endsWith(".NOT");
      } else if (sec.length !== 1) throw new ParseError("bad section");
      if (!/^(\d+(\.\d+)*)?(\.?(HEADER|HEADER\.FIELDS|HEADER\.FIELDS\.NOT|TEXT|MIME))?$/.test(section) || section.startsWith(".")) throw new ParseError(`bad section ${section.slice(0, 40)}`);
      if (binary && !/^(\d+(\.\d+)*)?$/.test(section)) throw new ParseError("BINARY takes part numbers only (RFC 3516)");
      if (section === "MIME") throw new ParseError("MIME needs a part number");
    }
    if (name === "BINARY.SIZE") {
      if (t.partial) throw new ParseError("BINARY.SIZE takes no partial");
      return { kind: "BINARY.SIZE", section };
    }
    if (t.partial && t.partial[1] === 0) throw new ParseError("a partial of 0 octets");
    return { kind: "SECTION", binary, section, fields, not, partial: t.partial, peek: name.endsWith(".PEEK") };
  }
  switch (name) {
    case "FLAGS":
    case "UID":
    case "INTERNALDATE":
    case "RFC822.SIZE":
    case "ENVELOPE":
    case "BODYSTRUCTURE":
    case "BODY":
    case "MODSEQ":
      return { kind: name };
    case "RFC822":
      return { kind: "SECTION", section: "", label: "RFC822" };
    case "RFC822.HEADER":
      return { kind: "SECTION", section: "HEADER", peek: true, label: "RFC822.HEADER" };
    case "RFC822.TEXT":
      return { kind: "SECTION", section: "TEXT", label: "RFC822.TEXT" };
    default:
      throw new ParseError(`unknown fetch item ${name.slice(0, 40)}`);
  }
}
