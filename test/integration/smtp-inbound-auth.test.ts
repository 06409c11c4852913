// Inbound SPF/DKIM/DMARC on the MX, with a loopback DNS server answering for the sending
// domains and clients connecting from other loopback addresses (127.0.0.2 is the senders'
// published address, 127.0.0.4 a forger's). The host's own address (127.0.0.1) is exempt.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { startTestEngine, type TestEngine } from "../helpers/engine";
import { startDnsServer, type TestDnsServer } from "../helpers/dns-server";
import { RawSmtp, type Reply } from "../helpers/raw-smtp";
import { Resolver } from "node:dns/promises";
import { authenticate } from "mailauth";
import { dkimSignatures } from "../../lib/dkim/sign";
import type { DkimKeyRow } from "../../lib/dkim/keys";

let t: TestEngine;
let dns: TestDnsServer;
let key: DkimKeyRow;

before(async () => {
  const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
  key = {
    id: "test", selector: "s1", algorithm: "rsa-sha256", active: true, createdAt: new Date(), retiredAt: null,
    privateKey: privateKey.export({ type: "pkcs8", format: "pem" }) as string,
    publicKey: publicKey.export({ type: "spki", format: "der" }).toString("base64"),
  };
  dns = await startDnsServer([
    { name: "sender.test", type: "TXT", data: "v=spf1 ip4:127.0.0.2 -all" },
    { name: "_dmarc.sender.test", type: "TXT", data: "v=DMARC1; p=reject" },
    { name: "s1._domainkey.sender.test", type: "TXT", data: `v=DKIM1; k=rsa; p=${key.publicKey}` },
    { name: "quarantine.test", type: "TXT", data: "v=spf1 ip4:127.0.0.2 -all" },
    { name: "_dmarc.quarantine.test", type: "TXT", data: "v=DMARC1; p=quarantine" },
    { name: "broken.test", type: "TXT", data: "v=spf1 ip4:127.0.0.2 -all" },
    { name: "nopolicy.test", type: "TXT", data: "v=spf1 ip4:127.0.0.2 -all" },
    { name: "mx.sender.test", type: "A", data: "127.0.0.2" },
    { name: "s2._domainkey.sender.test", type: "TXT", data: `v=DKIM1; k=rsa; p=${key.publicKey}` },
    { name: "arc._domainkey.forwarder.test", type: "TXT", data: `v=DKIM1; k=rsa; p=${key.publicKey}` },
  ]);
  t = await startTestEngine({ DNS_SERVERS: dns.address, SMTP_GREET_PAUSE_MS: "0" });
});
after(async () => {
  await t?.stop();
  await dns?.close();
});

async function send(ip: string, mailFrom: string, rcpt: string, data: string): Promise<Reply> {
  const c = await RawSmtp.connect(t.mxPort, { localAddress: ip });
  try {
    assert.equal((await c.command("EHLO mx.sender.test")).code, 250);
    assert.equal((await c.command(`MAIL FROM:<${mailFrom}>`)).code, 250);
    assert.equal((await c.command(`RCPT TO:<${rcpt}>`)).code, 250);
    assert.equal((await c.command("DATA")).code, 354);
    c.write(data.replace(/\r?\n/g, "\r\n") + ".\r\n");
    return await c.read();
  } finally {
    c.close();
  }
}

const mail = (from: string, subject: string, extra = "") =>
  `${extra}From: ${from}\r\nTo: bob@example.test\r\nSubject: ${subject}\r\nDate: Wed, 02 Dec 2026 12:00:00 +0000\r\nMessage-ID: <${crypto.randomUUID()}@x>\r\n\r\nHello Bob\r\n`;

async function stored(subject: string): Promise<{ folder: string; text: string }[]> {
  const rows = await t.db.message.findMany({ where: { subject }, include: { mailbox: true } });
  const out = [];
  for (const r of rows) {
    const blob = await t.db.blob.findUniqueOrThrow({ where: { hash: r.blobHash } });
    out.push({ folder: r.mailbox.name, text: Buffer.from(blob.data!).toString() });
  }
  return out;
}

test("a signed message from a published address gets dkim, spf and dmarc pass in Authentication-Results", async () => {
  const raw = Buffer.from(mail("Alice <alice@sender.test>", "signed and aligned"));
  const signed = dkimSignatures(raw, "sender.test", [key]) + raw.toString();
  const r = await send("127.0.0.2", "alice@sender.test", "bob@example.test", signed);
  assert.equal(r.code, 250, r.text);
  const [m] = await stored("signed and aligned");
  assert.equal(m.folder, "INBOX");
  const header = m.text.slice(0, m.text.indexOf("\r\n\r\n")).replace(/\r\n[ \t]+/g, " ");
  const ar = header.split("\r\n").find((l) => l.startsWith("Authentication-Results:"))!;
  assert.ok(ar, header);
  assert.match(ar, /^Authentication-Results: mx\.test\.example;/);
  assert.match(ar, /dkim=pass header\.i=@sender\.test header\.s=s1/);
  assert.match(ar, /spf=pass .*smtp\.mailfrom=alice@sender\.test/);
  assert.match(ar, /dmarc=pass .*header\.from=sender\.test/);
  // Return-Path first, then the results, then our Received; the message as sent below them.
  assert.match(m.text, /^Return-Path: <alice@sender\.test>\r\n(Received-SPF: [^]*?)?Authentication-Results: mx\.test\.example;[^]*?\r\nReceived: from mx\.sender\.test \(\[127\.0\.0\.2\]\)/);
  assert.ok(m.text.endsWith(signed), "the message as sent follows our fields unchanged");
  assert.ok(t.logs.some((l) => /"smtp\.auth"/.test(JSON.stringify(l)) && /spf=pass dkim=pass dmarc=pass/.test(String(l.results))), "the check is logged");
});

test("a forged From of a p=reject domain from an address outside its SPF is refused with 550 5.7.1", async () => {
  const r = await send("127.0.0.4", "mallory@sender.test", "bob@example.test", mail("Alice <alice@sender.test>", "forged reject"));
  assert.equal(r.code, 550, r.text);
  assert.match(r.text, /^5\.7\.1 /);
  assert.deepEqual(await stored("forged reject"), []);
});

test("a p=quarantine failure is delivered to Junk", async () => {
  const r = await send("127.0.0.4", "x@quarantine.test", "bob@example.test", mail("q@quarantine.test", "forged quarantine"));
  assert.equal(r.code, 250, r.text);
  const rows = await stored("forged quarantine");
  assert.deepEqual(rows.map((x) => x.folder), ["Junk"]);
  assert.match(rows[0].text, /dmarc=fail/);
});

test("mail on port 25 claiming our own domain that fails DMARC never reaches the Inbox", async () => {
  const r = await send("127.0.0.4", "alice@example.test", "bob@example.test", mail("Alice <alice@example.test>", "forged local"));
  assert.equal(r.code, 250, r.text);
  assert.deepEqual((await stored("forged local")).map((x) => x.folder), ["Junk"]);
});

test("a temporary DNS failure on the SPF look-up answers 451 4.7.24, and the retry passes", async () => {
  dns.fail("broken.test");
  try {
    const r = await send("127.0.0.2", "a@broken.test", "bob@example.test", mail("a@broken.test", "dns failure"));
    assert.equal(r.code, 451, r.text);
    assert.match(r.text, /^4\.7\.24 /);
    assert.deepEqual(await stored("dns failure"), []);
  } finally {
    dns.heal("broken.test");
  }
  const again = await send("127.0.0.2", "a@broken.test", "bob@example.test", mail("a@broken.test", "dns failure"));
  assert.equal(again.code, 250, again.text);
});

test("incoming Authentication-Results claiming our host name are removed; others are kept", async () => {
  const forged = "Authentication-Results: mx.test.example; dkim=pass header.d=bank.test;\r\n dmarc=pass\r\nAuthentication-Results:\r\n MX.TEST.EXAMPLE; spf=pass\r\nAuthentication-Results: other.example; spf=none\r\n";
  const r = await send("127.0.0.2", "n@nopolicy.test", "bob@example.test", mail("n@nopolicy.test", "forged results", forged));
  assert.equal(r.code, 250, r.text);
  const [m] = await stored("forged results");
  assert.equal(m.folder, "INBOX");
  const fields = m.text.slice(0, m.text.indexOf("\r\n\r\n")).replace(/\r\n[ \t]+/g, " ").split("\r\n").filter((l) => l.startsWith("Authentication-Results:"));
  assert.equal(fields.length, 2, fields.join("\n"));
  assert.match(fields[0], /^Authentication-Results: mx\.test\.example; dkim=none .*spf=pass .*dmarc=none/);
  assert.doesNotMatch(fields[0], /header\.d=bank\.test/);
  assert.equal(fields[1], "Authentication-Results: other.example; spf=none");
});

test("the host's own address is exempt: no checks, no Authentication-Results", async () => {
  const r = await send("127.0.0.1", "mallory@sender.test", "bob@example.test", mail("alice@sender.test", "exempt"));
  assert.equal(r.code, 250, r.text);
  const [m] = await stored("exempt");
  assert.doesNotMatch(m.text, /Authentication-Results/);
});

test("a large checked message (stored as a file) keeps its signature, structure and Authentication-Results", async () => {
  const body = Array.from({ length: 4000 }, (_, i) => `line ${i} ${"x".repeat(60)}`).join("\r\n") + "\r\n";
  const raw = Buffer.from(mail("Alice <alice@sender.test>", "large signed").replace("Hello Bob\r\n", body));
  const signed = dkimSignatures(raw, "sender.test", [key]) + raw.toString();
  const r = await send("127.0.0.2", "alice@sender.test", "bob@example.test", signed);
  assert.equal(r.code, 250, r.text);
  const [row] = await t.db.message.findMany({ where: { subject: "large signed" } });
  assert.ok(row, "stored with its parsed subject");
  const blob = await t.db.blob.findUniqueOrThrow({ where: { hash: row.blobHash } });
  assert.equal(blob.data, null, "a file-tier blob");
  const text = fs.readFileSync(path.join(t.dataDir, "blobs", blob.hash.slice(0, 2), blob.hash), "utf8");
  assert.equal(crypto.createHash("sha256").update(text).digest("hex"), blob.hash);
  assert.equal(Number(row.size), Buffer.byteLength(text));
  assert.match(text.replace(/\r\n[ \t]+/g, " "), /Authentication-Results: mx\.test\.example; dkim=pass [^\r]*dmarc=pass/);
  assert.ok(text.endsWith(signed));
});

test("a DKIM key look-up that fails temporarily, with DMARC not passing otherwise, answers 451 4.7.5", async () => {
  const raw = Buffer.from(mail("Alice <alice@sender.test>", "dkim dns failure"));
  const signed = dkimSignatures(raw, "sender.test", [{ ...key, selector: "s2" }]) + raw.toString();
  dns.fail("s2._domainkey.sender.test");
  try {
    const r = await send("127.0.0.4", "alice@sender.test", "bob@example.test", signed);
    assert.equal(r.code, 451, r.text);
    assert.match(r.text, /^4\.7\.5 /);
  } finally {
    dns.heal("s2._domainkey.sender.test");
  }
  assert.deepEqual(await stored("dkim dns failure"), []);
});

test("an ARC chain sealed by a forwarder is verified and reported (arc=pass)", async () => {
  // The forwarder (forwarder.test) authenticated the message and sealed it, as a mailing list would.
  const raw = Buffer.from(mail("n@nopolicy.test", "arc sealed"));
  const resolver = new Resolver({ timeout: 2000, tries: 1 });
  resolver.setServers([dns.address]);
  const sealed = await authenticate(raw, {
    ip: "127.0.0.2", helo: "mx.sender.test", sender: "n@nopolicy.test", mta: "mx.forwarder.test", disableBimi: true,
    resolver: (name: string, rr: string) => resolver.resolve(name, rr as "TXT") as Promise<never>,
    seal: { signingDomain: "forwarder.test", selector: "arc", privateKey: key.privateKey },
  });
  assert.match(sealed.headers, /ARC-Seal: i=1;/);
  const r = await send("127.0.0.4", "bounces@forwarder.test", "bob@example.test", sealed.headers + raw.toString());
  assert.equal(r.code, 250, r.text);
  const [m] = await stored("arc sealed");
  assert.match(m.text.replace(/\r\n[ \t]+/g, " "), /Authentication-Results: mx\.test\.example;[^\r]*arc=pass \(i=1/);
});

test("quarantine finds the Junk folder by its special use when renamed, and refuses the message when there is none", async () => {
  const bob = await t.db.account.findUniqueOrThrow({ where: { email: "bob@example.test" } });
  const store = t.engine.ctx.store;
  await store.renameMailbox({ accountId: bob.id, from: "Junk", to: "Spam" });
  try {
    const r = await send("127.0.0.4", "x@quarantine.test", "bob@example.test", mail("q@quarantine.test", "quarantine renamed"));
    assert.equal(r.code, 250, r.text);
    assert.deepEqual((await stored("quarantine renamed")).map((x) => x.folder), ["Spam"]);
    await store.deleteMailbox({ accountId: bob.id, name: "Spam" });
    const refused = await send("127.0.0.4", "x@quarantine.test", "bob@example.test", mail("q@quarantine.test", "quarantine no junk"));
    assert.equal(refused.code, 550, refused.text);
    assert.match(refused.text, /^5\.7\.1 /);
    assert.deepEqual(await stored("quarantine no junk"), []);
  } finally {
    await store.createMailbox({ accountId: bob.id, name: "Junk", specialUse: "\\Junk" }).catch(() => undefined);
  }
});

test("a message whose From fields name two domains is refused (RFC 7489 6.6.1)", async () => {
  const raw = Buffer.from(mail("n@nopolicy.test", "two authors").replace("To: ", "From: ceo@example.test\r\nTo: "));
  const r = await send("127.0.0.2", "n@nopolicy.test", "bob@example.test", raw.toString());
  assert.equal(r.code, 550, r.text);
  assert.match(r.text, /^5\.7\.1 .*more than one domain/);
  assert.deepEqual(await stored("two authors"), []);
  // Two addresses of one domain are fine.
  const same = await send("127.0.0.2", "n@nopolicy.test", "bob@example.test", mail("n@nopolicy.test, m@nopolicy.test", "one author domain"));
  assert.equal(same.code, 250, same.text);
});
