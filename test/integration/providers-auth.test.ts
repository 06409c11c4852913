/**
 * Issue 12's "two providers" with each side's real authentication: a.test and b.test
 * publish SPF, DKIM (the keys `mailctl domain add` makes) and DMARC p=reject on the
 * loopback DNS server; mail from a.test reaches b.test signed and passes all three; a
 * forgery of a.test sent straight to b.test's MX from 127.0.0.4 is refused; a forward at
 * b.test back to a.test passes SPF at a.test through SRS, and DMARC through a.test's
 * own signature.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startProviders, type Provider, type Providers } from "../helpers/providers";
import { RawSmtp } from "../helpers/raw-smtp";
import { addAlias } from "../../lib/directory";
import { dkimTxt, rotateDkimKeys } from "../../lib/dkim/keys";

let p: Providers;

async function publish(pr: Provider): Promise<void> {
  const keys = await rotateDkimKeys(pr.data.db, pr.domain);
  assert.equal(keys.length, 2, "an RSA and an Ed25519 key");
  p.dns.add(
    { name: pr.domain, type: "TXT", data: `v=spf1 ip4:${pr.ip} -all` },
    { name: `_dmarc.${pr.domain}`, type: "TXT", data: "v=DMARC1; p=reject" },
    ...keys.map((k) => ({ name: `${k.selector}._domainkey.${pr.domain}`, type: "TXT" as const, data: dkimTxt(k) })),
  );
}

before(async () => {
  p = await startProviders();
  await publish(p.a);
  await publish(p.b);
});
after(() => p?.stop());

async function rawOf(pr: Provider, email: string, subject: string): Promise<string> {
  const m = await pr.data.db.message.findFirstOrThrow({ where: { account: { email }, subject }, include: { mailbox: true } });
  const blob = await pr.data.db.blob.findUniqueOrThrow({ where: { hash: m.blobHash } });
  assert.ok(blob.data, "a small message lives in its Blob row");
  return `${m.mailbox.name}\n${Buffer.from(blob.data).toString()}`;
}

const authResults = (raw: string, host: string) => {
  const m = raw.match(new RegExp(`^Authentication-Results: ${host.replace(/\./g, "\\.")};([^\\r]*(?:\\r\\n[ \\t][^\\r]*)*)`, "m"));
  assert.ok(m, `no Authentication-Results from ${host} in:\n${raw.slice(0, 1500)}`);
  return m![1].replace(/\r\n[ \t]+/g, " ");
};

test("a.test to b.test arrives DKIM-signed by a.test (RSA and Ed25519) and passes SPF, DKIM and DMARC at b.test", async () => {
  await p.submit(p.a, { to: "bob@b.test", subject: "signed hello" });
  await p.waitFor(() => p.inboxCount(p.b, "bob@b.test", "signed hello"), (n) => n === 1);
  const raw = await rawOf(p.b, "bob@b.test", "signed hello");
  assert.match(raw, /^INBOX\n/);
  const sigs = raw.match(/^DKIM-Signature:[^\r]*(?:\r\n[ \t][^\r]*)*/gm) ?? [];
  assert.equal(sigs.length, 2);
  assert.ok(sigs.some((s) => /a=rsa-sha256/.test(s)) && sigs.some((s) => /a=ed25519-sha256/.test(s)));
  assert.ok(sigs.every((s) => /d=a\.test/.test(s) && /c=relaxed\/relaxed/.test(s)));
  const ar = authResults(raw, "mx.b.test");
  assert.match(ar, /dkim=pass[^;]*header\.i=@a\.test/);
  assert.match(ar, /spf=pass[^;]*smtp\.mailfrom=(alice@)?a\.test/);
  assert.match(ar, /dmarc=pass[^;]*header\.from=a\.test/);
});

test("a forgery of a.test sent straight to b.test's MX from 127.0.0.4 is refused (p=reject)", async () => {
  const c = await RawSmtp.connect(p.mxPort, { host: "127.0.0.3", localAddress: "127.0.0.4" });
  try {
    assert.equal((await c.command("EHLO forger.example")).code, 250);
    assert.equal((await c.command("MAIL FROM:<alice@a.test>")).code, 250);
    assert.equal((await c.command("RCPT TO:<bob@b.test>")).code, 250);
    assert.equal((await c.command("DATA")).code, 354);
    c.write("From: alice@a.test\r\nTo: bob@b.test\r\nSubject: forged\r\nMessage-ID: <forged@a.test>\r\nDate: Wed, 2 Dec 2026 10:00:00 +0000\r\n\r\nsend money\r\n.\r\n");
    const r = await c.read();
    assert.equal(r.code, 550, r.text);
    assert.match(r.text, /^5\.7\.1/);
  } finally {
    c.close();
  }
  assert.equal(await p.inboxCount(p.b, "bob@b.test", "forged"), 0);
});

test("a forward at b.test to a.test keeps SPF passing through SRS, and DMARC through a.test's signature", async () => {
  await addAlias(p.b.data.db, "fwd@b.test", "alice@a.test", "test");
  await p.submit(p.a, { to: "fwd@b.test", subject: "round trip" });
  await p.waitFor(() => p.inboxCount(p.a, "alice@a.test", "round trip"), (n) => n === 1);
  const raw = await rawOf(p.a, "alice@a.test", "round trip");
  assert.match(raw, /^INBOX\n/, "not quarantined");
  assert.match(raw, /^Return-Path: <SRS0=[^=]+=[^=]+=a\.test=alice@b\.test>/m);
  const ar = authResults(raw, "mx.a.test");
  assert.match(ar, /spf=pass[^;]*smtp\.mailfrom=[^;]*b\.test/);
  assert.match(ar, /dkim=pass[^;]*header\.i=@a\.test/);
  assert.match(ar, /dmarc=pass/);
});
