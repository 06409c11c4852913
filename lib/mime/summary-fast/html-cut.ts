/** Where an HTML body may be cut so that converting the start gives the start of the whole text (htmlparser2's tokenizer states). */


const HTML_WS = new Set([0x20, 0x0a, 0x09, 0x0c, 0x0d]);
const RAW_TEXT_ELEMENTS = new Set(["script", "style", "title", "textarea", "xmp"]);
const isAsciiAlpha = (c: number): boolean => (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);

/**
 * A position at least `length` characters into the body (the first <body> tag, or the start
 * when the document has none) where htmlparser2 (html-to-text's parser) is in text state
 * right before a tag. html-to-text converts only the body elements of a document that has
 * any, so the first of them has to start in front of the cut. -1 when that cannot be told
 * (an unclosed comment, raw text or tag, ...), html.length when there is no such position.
 */
export function htmlCut(html: string, length: number, hasBodyTag: boolean): number {
  let sawBody = !hasBodyTag;
  let target = length;
  let opened = 0;
  const n = html.length;
  let i = 0;
  for (;;) {
    const lt = html.indexOf("<", i);
    if (lt < 0 || lt + 1 >= n) return n;
    if (lt >= target && sawBody) return lt;
    const c = html.charCodeAt(lt + 1);
    if (c === 0x21 /* ! */) {
      // htmlparser2 consumes the character after "<!" (and after "<!-") before it looks for
      // the ">" that ends a declaration, so "<!>" and "<!->" do not end there
      // (each end is checked before its length is added: a missing "-->" must not send the
      // scan back to the start of the text, which looped for ever)
      let close: number;
      if (html.startsWith("<!--", lt)) close = endAfter(html, "-->", lt + 2); // "<!-->" is a whole comment
      else if (html.startsWith("<![CDATA[", lt)) close = endAfter(html, "]]>", lt + 9);
      else if (html.startsWith("<!-", lt)) close = endAfter(html, ">", lt + 4);
      else close = endAfter(html, ">", lt + 3);
      if (close < 0) return -1;
      i = close;
    } else if (c === 0x3f /* ? */ || c === 0x2f /* / */) {
      const close = html.indexOf(">", lt + 2);
      if (close < 0) return -1;
      i = close + 1;
    } else if (isAsciiAlpha(c)) {
      // tag name up to whitespace, "/" or ">"
      let j = lt + 1;
      while (j < n) {
        const d = html.charCodeAt(j);
        if (d === 0x2f || d === 0x3e || HTML_WS.has(d)) break;
        j++;
      }
      const name = html.slice(lt + 1, j).toLowerCase();
      // attributes, the way htmlparser2's tokenizer walks them
      let selfClosing = false;
      let st: "before" | "name" | "after" | "beforeValue" | "dq" | "sq" | "nq" | "selfClosing" = "before";
      let tagEnd = -1;
      while (j < n && tagEnd < 0) {
        const d = html.charCodeAt(j);
        switch (st) {
          case "before":
            if (d === 0x3e) tagEnd = j;
            else if (d === 0x2f) st = "selfClosing";
            else if (!HTML_WS.has(d)) st = "name";
            j++;
            break;
          case "selfClosing":
            if (d === 0x3e) {
              tagEnd = j;
              selfClosing = true;
              j++;
            } else if (HTML_WS.has(d)) j++;
            else st = "before"; // reconsume
            break;
          case "name":
            if (d === 0x3d || d === 0x2f || d === 0x3e || HTML_WS.has(d)) st = "after"; // reconsume
            else j++;
            break;
          case "after":
            if (d === 0x3d) {
              st = "beforeValue";
              j++;
            } else if (d === 0x2f || d === 0x3e) st = "before"; // reconsume
            else if (HTML_WS.has(d)) j++;
            else {
              st = "name";
              j++;
            }
            break;
          case "beforeValue":
            if (d === 0x22) st = "dq";
            else if (d === 0x27) st = "sq";
            else if (!HTML_WS.has(d)) {
              st = "nq";
              break; // reconsume
            }
            j++;
            break;
          case "dq":
          case "sq": {
            const close = html.indexOf(st === "dq" ? '"' : "'", j);
            if (close < 0) return -1;
            j = close + 1;
            st = "before";
            break;
          }
          case "nq":
            if (d === 0x3e || HTML_WS.has(d)) st = "before"; // reconsume
            else j++;
            break;
        }
      }
      if (tagEnd < 0) return -1;
      if (!sawBody) {
        // html-to-text looks for <body> elements but not inside <script> and <style>
        // elements, and a self-closed <script/> or <style/> is left open by htmlparser2
        if (selfClosing && (name === "script" || name === "style")) return -1;
        // nor deeper than its depth limit
        if (++opened > 500) return -1;
        if (name === "body") {
          sawBody = true;
          target = tagEnd + 1 + length;
        }
      }
      i = tagEnd + 1;
      if (!selfClosing && RAW_TEXT_ELEMENTS.has(name)) {
        // raw text up to "</name" followed by whitespace or ">"
        const re = new RegExp(`</${name}[ \\n\\t\\f\\r>]`, "ig");
        re.lastIndex = i;
        const m = re.exec(html);
        if (!m) return -1;
        i = m.index;
      }
    } else {
      i = lt + 1; // a "<" that starts no tag is text
    }
  }
}

// mailparser's check (mail-parser.js) before it converts HTML, copied as it is.
const HTML_VOID_ELEMENTS = new Set(["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"]);
const HTML_IMPLIED_END_ELEMENTS = new Set(["p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "thead", "tbody", "tfoot", "rt", "rp"]);
function isTagNameChar(code: number): boolean {
  return (
    (code >= 0x61 && code <= 0x7a) ||
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x30 && code <= 0x39) ||
    code === 0x2d ||
    code === 0x3a ||
    code === 0x5f
  );
}
export function exceedsHtmlNestingDepth(html: string, maxDepth: number): boolean {
  const stack: string[] = [];
  const open = new Map<string, number>();
  const len = html.length;
  let i = html.indexOf("<");
  while (i >= 0) {
    let pos = i + 1;
    if (html.startsWith("!--", pos)) {
      const end = html.indexOf("-->", pos + 3);
      i = end < 0 ? -1 : html.indexOf("<", end + 3);
      continue;
    }
    const closing = html.charCodeAt(pos) === 0x2f;
    if (closing) pos++;
    const nameStart = pos;
    while (pos < len && isTagNameChar(html.charCodeAt(pos))) pos++;
    if (pos === nameStart) {
      i = html.indexOf("<", pos);
      continue;
    }
    const name = html.slice(nameStart, pos).toLowerCase();
    const end = html.indexOf(">", pos);
    if (end < 0) break;
    if (!HTML_VOID_ELEMENTS.has(name) && !HTML_IMPLIED_END_ELEMENTS.has(name)) {
      if (!closing) {
        stack.push(name);
        open.set(name, (open.get(name) || 0) + 1);
        if (stack.length > maxDepth) return true;
      } else if (open.get(name)) {
        let popped: string;
        do {
          popped = stack.pop()!;
          open.set(popped, open.get(popped)! - 1);
        } while (popped !== name);
      }
    }
    i = html.indexOf("<", end + 1);
  }
  return false;
}

/** The position just past the first `end` at or after `from`, or -1 when there is none. */
function endAfter(html: string, end: string, from: number): number {
  const at = html.indexOf(end, from);
  return at < 0 ? -1 : at + end.length;
}
