// SRS on the MX: forwarding to a remote address rewrites the envelope sender; a bounce to
// that address comes back through RCPT and goes to the original sender; forged, tampered
// and expired SRS addresses are refused at RCPT.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { startTestEngine, type TestEngine } from "../helpers/engine";
import { RawSmtp, type Reply } from "../helpers/raw-smtp";
import { addAlias } from "../../lib/directory";
import { srsEncode, srsKey } from "../../lib/routing/srs";

let t: TestEngine;
before(async () => {
  t = await startTestEngine({ SRS_SECRET: "s".repeat(40) });
  await addAlias(t.db, "fwd@example.test", "dest@remote.test", "test");
  await addAlias(t.db, "both@example.test", "alice@example.test", "test");
  await addAlias(t.db, "both@example.test", "dest@remote.test", "test");
});
after(() => t.stop());

async function transaction(mailFrom: string, rcpts: string[], subject: string): Promise<{ rcpt: Reply[]; data: Reply | null }> {
  const c = await RawSmtp.connect(t.mxPort);
  try {
    await c.command("EHLO relay.sender.test");
    assert.equal((await c.command(`MAIL FROM:<${mailFrom}>`)).code, 250);
    const rcpt: Reply[] = [];
    for (const r of rcpts) rcpt.push(await c.command(`RCPT TO:<${r}>`));
    if (!rcpt.some((r) => r.code === 250)) return { rcpt, data: null };
    assert.equal((await c.command("DATA")).code, 354);
    c.write(`From: x@sender.test\r\nSubject: ${subject}\r\n\r\nbody\r\n.\r\n`);
    return { rcpt, data: await c.read() };
  } finally {
    c.close();
  }
}

const queued = async (reply: Reply) => t.db.outboundMessage.findUniqueOrThrow({ where: { id: reply.text.split(" ").pop()! }, include: { recipients: true } });

test("a forward to a remote address leaves with an SRS0 sender at the forwarding domain; local copies keep the sender", async () => {
  const { data } = await transaction("Carol@Sender.test", ["fwd@example.test"], "srs forward");
  assert.equal(data?.code, 250, data?.text);
  const out = await queued(data!);
  assert.match(out.mailFrom, /^SRS0=[A-Z2-7]{6}=[A-Z2-7]{2}=sender\.test=Carol@example\.test$/);
  assert.deepEqual(out.recipients.map((r) => r.address), ["dest@remote.test"]);

  const both = await transaction("carol@sender.test", ["both@example.test"], "srs both");
  assert.equal(both.data?.code, 250);
  assert.match((await queued(both.data!)).mailFrom, /^SRS0=.*=sender\.test=carol@example\.test$/);
  const local = await t.db.message.findFirstOrThrow({ where: { subject: "srs both" } });
  const blob = await t.db.blob.findUniqueOrThrow({ where: { hash: local.blobHash } });
  assert.match(Buffer.from(blob.data!).toString(), /^Return-Path: <carol@sender\.test>/);

  // The null sender and our own domains' senders are not rewritten.
  const bounce = await transaction("", ["fwd@example.test"], "srs null");
  assert.equal((await queued(bounce.data!)).mailFrom, "");
  const own = await transaction("bob@example.test", ["fwd@example.test"], "srs own");
  assert.equal((await queued(own.data!)).mailFrom, "bob@example.test");
});

test("a bounce to our SRS address is accepted and routed back to the original sender (remote or local)", async () => {
  const { data } = await transaction("carol@sender.test", ["fwd@example.test"], "srs to bounce");
  const srs = (await queued(data!)).mailFrom;
  const back = await transaction("", [srs], "bounce back");
  assert.equal(back.rcpt[0].code, 250, back.rcpt[0].text);
  assert.equal(back.data?.code, 250, back.data?.text);
  const out = await queued(back.data!);
  assert.equal(out.mailFrom, "", "the bounce keeps its null sender");
  assert.deepEqual(out.recipients.map((r) => r.address), ["carol@sender.test"]);
  // Lower-cased on the way (some MTAs do): still valid.
  assert.equal((await transaction("", [srs.toLowerCase()], "bounce lower")).rcpt[0].code, 250);
  // Past RFC 5321's 64-octet local part, as SRS addresses often are: still accepted.
  const long = await transaction("a.rather.long.local.part@a-fairly-long-domain-name.example", ["fwd@example.test"], "srs long");
  const longSrs = (await queued(long.data!)).mailFrom;
  assert.ok(longSrs.indexOf("@") > 64, longSrs);
  const longBack = await transaction("", [longSrs], "bounce long");
  assert.equal(longBack.rcpt[0].code, 250, longBack.rcpt[0].text);
  assert.deepEqual((await queued(longBack.data!)).recipients.map((r) => r.address), ["a.rather.long.local.part@a-fairly-long-domain-name.example"]);
  // An SRS address for one of our own users delivers locally.
  const toAlice = srsEncode(srsKey(t.config), "alice@example.test", "example.test");
  const local = await transaction("", [toAlice], "bounce to alice");
  assert.equal(local.data?.code, 250, local.data?.text);
  const row = await t.db.message.findFirstOrThrow({ where: { subject: "bounce to alice" }, include: { account: true } });
  assert.equal(row.account.email, "alice@example.test");
});

test("forged, tampered and expired SRS addresses are refused with 550 5.1.1", async () => {
  const good = srsEncode(srsKey(t.config), "carol@sender.test", "example.test");
  const expired = srsEncode(srsKey(t.config), "carol@sender.test", "example.test", new Date(Date.now() - 30 * 86_400_000));
  const forged = srsEncode("another key entirely, forty characters..", "carol@sender.test", "example.test");
  for (const bad of [good.replace("=carol@", "=mallory@"), expired, forged, "SRS0=nothing@example.test"]) {
    const { rcpt } = await transaction("", [bad], "srs bad");
    assert.equal(rcpt[0].code, 550, `${bad}: ${rcpt[0].text}`);
    assert.match(rcpt[0].text, /^5\.1\.1 /);
  }
  // An SRS-looking address at a domain that is not ours is just relaying: refused as such.
  const { rcpt } = await transaction("", [good.replace("@example.test", "@elsewhere.test")], "srs relay");
  assert.equal(rcpt[0].code, 554);
});
