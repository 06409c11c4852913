import { test } from "node:test";
import assert from "node:assert/strict";
import { checkSenderHeaders } from "../../lib/submission/sender-headers";
import { headerEnd } from "../../mail-engine/smtp/message-reader";

/** The header section as the DATA reader hands it over (with its empty line). */
const headerSection = (raw: Buffer) => raw.subarray(0, headerEnd(raw));

const mine = new Set(["me@corp.example", "alias@corp.example"]);
const mayUse = async (a: string) => mine.has(a);
const check = (headers: string) => checkSenderHeaders(Buffer.from(headers), mayUse);
const ok = async (headers: string) => assert.equal(await check(headers), null, headers);
async function refused(headers: string, code: number, text: RegExp) {
  const r = await check(headers);
  assert.ok(r, `accepted: ${JSON.stringify(headers)}`);
  assert.equal(r.code, code, r.message);
  assert.equal(r.enhanced, code === 553 ? "5.7.1" : "5.6.0");
  assert.match(r.message, text);
}

test("own addresses pass, with display names, encoded names, folding, Sender and Resent-From", async () => {
  await ok("From: me@corp.example\r\nSubject: x\r\n");
  await ok("From: Me <me@corp.example>\r\n");
  await ok('From: "Me (me@corp.example)" <me@corp.example>\r\n');
  await ok("From: =?utf-8?Q?J=C3=B6rg?= <ME@Corp.Example>\r\n");
  await ok("From: Me\r\n <me@corp.example>,\r\n\talias@corp.example\r\nSender: me@corp.example\r\n");
  await refused("From: me@corp.example, alias@corp.example\r\n", 550, /requires a Sender/);
  await ok("From: me@corp.example\r\nResent-From: alias@corp.example\r\nResent-From: me@corp.example\r\n");
  await ok("from: me@corp.example\r\n"); // field names are case-insensitive
});

test("no From, several From fields (also with space before the colon), several Sender: 550 5.6.0", async () => {
  await refused("Subject: x\r\nTo: a@b.example\r\n", 550, /no From header/);
  await refused("", 550, /no From header/);
  await refused("From: me@corp.example\r\nFrom: ceo@corp.example\r\n", 550, /2 From fields/);
  await refused("From : ceo@corp.example\r\nFrom: me@corp.example\r\n", 550, /2 From fields/);
  await refused("From: me@corp.example\r\nFROM\t: me@corp.example\r\n", 550, /2 From fields/);
  await refused("From: me@corp.example\r\nSender: me@corp.example\r\nSender: alias@corp.example\r\n", 550, /2 Sender fields/);
});

test("From without a mailbox: bare name, empty group, group, <>, empty, broken address", async () => {
  await refused("From: ceo\r\n", 550, /"ceo" has no address/);
  await refused("From: Chief Executive\r\n", 550, /has no address/);
  await refused("From: Undisclosed:;\r\n", 550, /group/);
  await refused("From: team: me@corp.example;\r\n", 550, /group/);
  await refused("From: <>\r\n", 550, /no mailbox/);
  await refused("From:\r\n", 550, /no mailbox/);
  await refused("From: me@\r\n", 550, /not a valid address/);
  await refused("From: Me <me@corp..example>\r\n", 550, /not a valid address/);
});

test("malformed lines: no colon, bad field name, leading continuation", async () => {
  await refused("From: me@corp.example\r\nFrom ceo@corp.example Mon Jan 1\r\n", 550, /Malformed header line/);
  await refused("From ceo@corp.example\r\nFrom: me@corp.example\r\n", 550, /Malformed header line/);
  await refused("From: me@corp.example\r\nBad Name: x\r\n", 550, /Malformed header line: Bad Name/);
  await refused(" From: me@corp.example\r\n", 550, /continuation/);
});

test("encoded words are decoded before the check: an encoded address, or a display name showing another address, is refused", async () => {
  await refused("From: =?utf-8?B?Y2VvQGNvcnAuZXhhbXBsZQ==?=\r\n", 550, /decodes to the address ceo@corp\.example/);
  await refused("From: =?utf-8?Q?ceo=40corp=2Eexample?= <me@corp.example>\r\n", 553, /display name shows the address ceo@corp\.example/);
  await refused('From: "ceo@corp.example" <me@corp.example>\r\n', 553, /display name shows the address ceo@corp\.example/);
  await refused('From: "ceo@corp" <me@corp.example>\r\n', 553, /display name shows the address ceo@corp,/);
  await refused("From: <=?utf-8?Q?ceo?=@corp.example>\r\n", 550, /encoded word inside an address/);
});

test("someone else's address in From, Sender or Resent-From: 553 5.7.1", async () => {
  await refused("From: ceo@corp.example\r\n", 553, /From address <ceo@corp\.example> is not yours/);
  await refused("From: me@corp.example, ceo@corp.example\r\nSender: me@corp.example\r\n", 553, /<ceo@corp\.example>/);
  await refused("From: me@corp.example\r\nSender: ceo@corp.example\r\n", 553, /Sender address <ceo@corp\.example>/);
  await refused("From: me@corp.example\r\nResent-From: ceo@corp.example\r\n", 553, /Resent-From address <ceo@corp\.example>/);
  await refused("From: me@corp.example\r\nSender: me@corp.example, alias@corp.example\r\n", 550, /exactly one mailbox/);
});

test("headerSection stops at the first empty line; only the header section is judged", async () => {
  const raw = Buffer.from("From: me@corp.example\r\nSubject: x\r\n\r\nFrom: ceo@corp.example\r\nbody\r\n");
  assert.equal(headerSection(raw).toString(), "From: me@corp.example\r\nSubject: x\r\n\r\n");
  assert.equal(await checkSenderHeaders(headerSection(raw), mayUse), null);
  assert.equal(headerSection(Buffer.from("\r\nbody")).toString(), "\r\n");
  assert.equal(await checkSenderHeaders(raw, mayUse), null, "a body after the empty line is ignored even when passed");
});
