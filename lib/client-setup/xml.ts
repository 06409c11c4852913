/**
 * A small XML writer for the client-setup documents. Every text and attribute value
 * goes through escapeXml, so nothing a client sends (an e-mail address, a host name)
 * can open an element, close one early or add a declaration.
 */

/**
 * Characters XML 1.0 does not allow anywhere, even escaped (section 2.2 "Char"): C0
 * controls other than tab, LF and CR, lone surrogates, U+FFFE and U+FFFF. They are
 * dropped: a strict parser (Apple's, .NET's) rejects the whole document otherwise.
 */
const NOT_XML_CHAR = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const ENTITY: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };

/** Text safe as element content and as a double- or single-quoted attribute value. */
export function escapeXml(value: string): string {
  return value.replace(NOT_XML_CHAR, "").replace(/[&<>"']/g, (c) => ENTITY[c]);
}

export interface XmlElement {
  name: string;
  attrs?: Record<string, string>;
  children: XmlNode[];
}

export type XmlNode = XmlElement | string;

/** An element; attributes are optional, children are elements or text. */
export function el(name: string, attrs?: Record<string, string> | XmlNode, ...children: XmlNode[]): XmlElement {
  if (attrs === undefined) return { name, children };
  if (typeof attrs === "string" || "children" in attrs) return { name, children: [attrs as XmlNode, ...children] };
  return { name, attrs: attrs as Record<string, string>, children };
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.:-]*$/;

function render(node: XmlNode, indent: string, out: string[]): void {
  if (typeof node === "string") {
    out.push(indent + escapeXml(node));
    return;
  }
  // Element and attribute names are ours, never input; a bad one is a programming error.
  if (!NAME.test(node.name)) throw new Error(`bad XML element name ${JSON.stringify(node.name)}`);
  let open = `<${node.name}`;
  for (const [k, v] of Object.entries(node.attrs ?? {})) {
    if (!NAME.test(k)) throw new Error(`bad XML attribute name ${JSON.stringify(k)}`);
    open += ` ${k}="${escapeXml(v)}"`;
  }
  if (node.children.length === 0) {
    out.push(`${indent}${open}/>`);
  } else if (node.children.every((c) => typeof c === "string")) {
    out.push(`${indent}${open}>${node.children.map((c) => escapeXml(c as string)).join("")}</${node.name}>`);
  } else {
    out.push(`${indent}${open}>`);
    for (const c of node.children) render(c, indent + "  ", out);
    out.push(`${indent}</${node.name}>`);
  }
}

/** A whole document: the XML declaration, an optional DOCTYPE line (ours, not escaped), the root. */
export function xmlDocument(root: XmlElement, doctype?: string): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  if (doctype) out.push(doctype);
  render(root, "", out);
  return out.join("\n") + "\n";
}
