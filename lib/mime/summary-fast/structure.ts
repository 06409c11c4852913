/** The MIME structure walk: multipart boundaries as mailparser's splitter finds them, which parts are text and which attachments. */
import { type Ancestry, CR, DASH, type HeaderLine, LF, MAX_DEPTH, MAX_HEADER_BYTES, MAX_NODES, TEXT_TYPES, type WalkState, giveUp } from "./common";
import { headerBlockEnd, mimeInfo, splitHeaderLines } from "./headers";

// ----- MIME structure ------------------------------------------------------------------------

/**
 * One node: its headers are `lines`, its body runs from `bodyStart` to `end` (for a
 * multipart, where its own delimiter lines are looked for) or to `bodyEnd` (a leaf's
 * content: the line break in front of the parent's next delimiter belongs to the delimiter).
 */
export function visitNode(
  state: WalkState,
  lines: HeaderLine[],
  bodyStart: number,
  end: number,
  bodyEnd: number,
  isRoot: boolean,
  parent: Ancestry,
): void {
  if (++state.nodes > MAX_NODES || parent.depth > MAX_DEPTH) giveUp();
  const info = mimeInfo(lines);

  // mailsplit parses an inline message/rfc822 part as an embedded message
  if (
    info.contentType === "message/rfc822" &&
    (!info.encoding || info.encoding === "7bit" || info.encoding === "8bit" || info.encoding === "binary") &&
    info.disposition === "inline"
  ) {
    giveUp();
  }

  if (info.contentType && /^multipart\//i.test(info.contentType)) {
    if (!info.multipart || !info.boundary) giveUp();
    const boundary = info.boundary;
    // A delimiter line could then match more than one open multipart; mailsplit's order of
    // checks decides which, so leave that to it.
    for (const b of parent.boundaries) if (b.startsWith(boundary) || boundary.startsWith(b)) giveUp();
    const here: Ancestry = {
      related: parent.related || info.contentType === "multipart/related",
      alternative: parent.alternative || info.contentType === "multipart/alternative",
      boundaries: [...parent.boundaries, boundary],
      depth: parent.depth + 1,
    };
    const parts = splitMultipart(state.raw, Buffer.from(boundary, "latin1"), bodyStart, end);
    for (let p = 0; p < parts.length; p++) {
      const [partStart, partEnd] = parts[p];
      const hb = headerBlockEnd(state.raw, partStart, partEnd);
      if (hb < 0) giveUp(); // a part whose headers run into the next delimiter
      if (hb - partStart > MAX_HEADER_BYTES) giveUp();
      const partLines = splitHeaderLines(state.raw.toString("latin1", partStart, hb));
      // The line break in front of a delimiter line belongs to the delimiter. mailsplit
      // quirk: a body that is nothing but that line break keeps it when the next part follows
      // (not when the closing delimiter does).
      let leafEnd = partEnd;
      if (leafEnd > hb && state.raw[leafEnd - 1] === LF) {
        leafEnd--;
        if (leafEnd > hb && state.raw[leafEnd - 1] === CR) leafEnd--;
        if (leafEnd === hb && p < parts.length - 1) leafEnd = partEnd;
      }
      visitNode(state, partLines, hb, partEnd, leafEnd, false, here);
    }
    return;
  }

  // A leaf: what MailParser.createNode() makes of it.
  let contentType = info.contentType;
  if (!contentType && isRoot) contentType = "text/plain";
  const isTextType = contentType !== false && TEXT_TYPES.has(contentType);
  let disposition = info.disposition;
  if (disposition && disposition !== "attachment" && disposition !== "inline") disposition = "attachment";
  disposition = !disposition && !isTextType ? "attachment" : disposition || "inline";
  const isAttachment = !isTextType || disposition !== "inline";

  if (isAttachment) {
    // hasAttachments: attachments.some((a) => a.contentDisposition !== "inline" || !a.related)
    const related = info.hasContentId && parent.related;
    if (info.disposition !== "inline" || !related) state.hasAttachments = true;
    return;
  }
  if (contentType === "text/plain" || contentType === "message/delivery-status") state.hasText = true;
  state.leaves.push({
    type: contentType as string,
    charset: info.charset,
    encoding: info.encoding,
    flowed: info.flowed,
    delSp: info.delSp,
    start: bodyStart,
    end: bodyEnd,
    root: isRoot,
    alternative: parent.alternative,
  });
}

/**
 * The parts of a multipart body in [from, end): each part from the line after a delimiter
 * line to the start of the next delimiter line. Gives up unless the parts are closed by a
 * closing delimiter (mailsplit handles unclosed and oddly delimited bodies its own way).
 */
function splitMultipart(raw: Buffer, boundary: Buffer, from: number, end: number): Array<[number, number]> {
  const needle = Buffer.concat([Buffer.from("--"), boundary]);
  const parts: Array<[number, number]> = [];
  let partStart = -1;
  let pos = from;
  for (;;) {
    const hit = raw.indexOf(needle, pos);
    if (hit < 0 || hit >= end) break;
    // a delimiter starts a line, possibly after a stray CR (mailsplit allows one)
    let lineStart: number;
    let startpos: number;
    if (hit > 0 && raw[hit - 1] === LF) {
      lineStart = hit;
      startpos = 0;
    } else if (hit > 1 && raw[hit - 1] === CR && raw[hit - 2] === LF) {
      lineStart = hit - 1;
      startpos = 1;
    } else {
      pos = hit + 1;
      continue;
    }
    if (lineStart < from) {
      pos = hit + 1;
      continue;
    }
    const lf = raw.indexOf(LF, hit);
    const lineEnd = lf < 0 ? raw.length : lf + 1;
    if (lineEnd > end) giveUp();
    const kind = compareBoundary(raw, lineStart, lineEnd, startpos, boundary.length);
    // mailsplit reads a last line without a line break together with the line break before
    // it, so "\r--boundary--" at the very end is no delimiter there
    if (kind && lf < 0 && startpos) giveUp();
    if (!kind) {
      pos = lineEnd;
      continue;
    }
    if (partStart < 0) {
      if (kind === 2) giveUp(); // a closing delimiter before the first part
    } else {
      parts.push([partStart, lineStart]);
      if (parts.length > MAX_NODES) giveUp();
    }
    if (kind === 2) return parts;
    partStart = lineEnd;
    pos = lineEnd;
  }
  return giveUp(); // never closed
}

/**
 * mailsplit's compareBoundary() for a line whose "--" + boundary was already matched at
 * lineStart + startpos: 1 for a delimiter, 2 for the closing delimiter, 0 for neither.
 */
function compareBoundary(raw: Buffer, lineStart: number, lineEnd: number, startpos: number, boundaryLength: number): 0 | 1 | 2 {
  const len = lineEnd - lineStart;
  if (len < boundaryLength + 3 + startpos || len > boundaryLength + 1004 + startpos) return 0;
  let i = lineStart + startpos + 2 + boundaryLength;
  let result: 1 | 2 = 1;
  if (i < lineEnd && raw[i] === DASH) {
    if (!(i + 1 < lineEnd && raw[i + 1] === DASH)) return 0;
    result = 2;
    i += 2;
  }
  while (i < lineEnd && (raw[i] === 0x20 || raw[i] === 0x09)) i++;
  if (i === lineEnd) return result === 2 ? 2 : 0;
  while (i < lineEnd && raw[i] === CR) i++;
  if (i < lineEnd && raw[i] === LF) i++;
  return i === lineEnd ? result : 0;
}
