// DKIM keys and signing: mailctl makes the keys and prints the records; signOutbound's
// signatures verify with mailauth (keys from the loopback DNS server) and with dkimpy
// (Debian's python3-dkim), a verifier we did not write.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { Resolver } from "node:dns/promises";
import { authenticate } from "mailauth";
import { testDatabase, type TestDatabase } from "../helpers/db";
import { startDnsServer, type TestDnsServer } from "../helpers/dns-server";
import { run } from "../../cli/mailctl";
import { signOutbound } from "../../lib/dkim/sign";
import { listDkimKeys, dkimTxt } from "../../lib/dkim/keys";

let t: TestDatabase;
let dns: TestDnsServer;
const out: string[] = [];
const mailctl = async (...argv: string[]) => {
  out.length = 0;
  await run(argv, t.db, (s) => out.push(s), t.config);
  return out.join("\n");
};

before(async () => {
  t = await testDatabase();
  dns = await startDnsServer();
});
after(async () => {
  await dns?.close();
  await t?.cleanup();
});

/** The Python that has dkimpy: the one python3-dkim's dkimverify runs with (a pyenv python3 on PATH may lack it). */
function dkimPython(): string {
  for (const dir of (process.env.PATH ?? "").split(":")) {
    const f = path.join(dir, "dkimverify");
    if (fs.existsSync(f)) return fs.readFileSync(f, "utf8").split("\n")[0].replace(/^#!\s*/, "").trim().split(/\s+/)[0];
  }
  throw new Error("dkimverify not found: apt-get install python3-dkim");
}
const verifyWithDkimpy = (records: string, input: Buffer) =>
  spawnSync(dkimPython(), [path.join(import.meta.dirname, "../tools/dkim-verify.py"), records], { input, encoding: "utf8", timeout: 30_000 });

const message = (from: string) =>
  Buffer.from(
    `From: "Alice  Example" <${from}>\r\nTo: bob@elsewhere.test\r\nSubject:  signed\r\n\tand folded\r\nDate: Wed, 02 Dec 2026 12:00:00 +0000\r\nMessage-ID: <1@a.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello  there \r\n\r\nS\u00e9condes lignes.\r\n\r\n\r\n`,
  );

test("domain add makes RSA and Ed25519 keys; domain dns prints every record", async () => {
  const added = await mailctl("domain", "add", "a.test");
  const keys = await listDkimKeys(t.db, "a.test");
  assert.equal(keys.length, 2);
  assert.deepEqual(keys.map((k) => k.algorithm).sort(), ["ed25519-sha256", "rsa-sha256"]);
  for (const k of keys) assert.match(k.selector, /^[re]\d{6}$/);
  assert.match(added, new RegExp(keys[0].selector));
  const zone = await mailctl("domain", "dns", "a.test");
  assert.match(zone, /^a\.test\. 3600 IN MX 10 mx\.test\.example\.$/m);
  assert.match(zone, /^a\.test\. 3600 IN TXT "v=spf1 mx -all"$/m);
  assert.match(zone, /^_dmarc\.a\.test\. 3600 IN TXT "v=DMARC1; p=quarantine/m);
  assert.match(zone, /^_mta-sts\.a\.test\. 3600 IN TXT "v=STSv1; id=[0-9a-f]+"$/m);
  assert.match(zone, /^_smtp\._tls\.a\.test\. 3600 IN TXT "v=TLSRPTv1; rua=mailto:postmaster@a\.test"$/m);
  assert.match(zone, /^_submissions\._tcp\.a\.test\. 3600 IN SRV /m);
  assert.match(zone, /mode: testing/);
  assert.match(zone, /PTR for 127\.0\.0\.1 -> mx\.test\.example\./);
  const rsa = keys.find((k) => k.algorithm === "rsa-sha256")!;
  const line = zone.split("\n").find((l) => l.startsWith(`${rsa.selector}._domainkey.a.test. 3600 IN TXT `))!;
  assert.ok(line, zone);
  // A 2048-bit key's record is longer than one character-string: split, and rejoined it is the record.
  const strings = [...line.matchAll(/"([^"]*)"/g)].map((m) => m[1]);
  assert.ok(strings.length >= 2 && strings.every((s) => s.length <= 255));
  assert.equal(strings.join(""), dkimTxt(rsa));
  assert.match(strings.join(""), /^v=DKIM1; k=rsa; p=MIIBIjAN/);
  const ed = keys.find((k) => k.algorithm === "ed25519-sha256")!;
  assert.match(zone, new RegExp(`^${ed.selector}\\._domainkey\\.a\\.test\\. 3600 IN TXT "v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}="$`, "m"));
});

test("signatures verify with mailauth and with dkimpy; From is oversigned", async () => {
  const keys = await listDkimKeys(t.db, "a.test");
  for (const k of keys) dns.add({ name: `${k.selector}._domainkey.a.test`, type: "TXT", data: dkimTxt(k) });
  const signed = await signOutbound(t.db, message("alice@a.test"));
  const header = signed.subarray(0, signed.indexOf("\r\n\r\n")).toString();
  assert.equal(header.match(/^DKIM-Signature:/gm)?.length, 2);
  assert.match(header, /a=rsa-sha256/);
  assert.match(header, /a=ed25519-sha256/);
  assert.match(header.replace(/\r\n\t/g, " "), /h=from:from:subject:date:to:message-id:mime-version:content-type;/);

  const resolver = new Resolver({ timeout: 2000, tries: 1 });
  resolver.setServers([dns.address]);
  const res = await authenticate(signed, { ip: "127.0.0.1", helo: "mx.a.test", sender: "alice@a.test", mta: "mx.test.example", resolver: (name: string, rr: string) => resolver.resolve(name, rr as "TXT") as Promise<never>, disableArc: true, disableBimi: true });
  const results = res.dkim.results;
  assert.deepEqual(results.map((r) => r.status.result), ["pass", "pass"], JSON.stringify(results));

  const records = Object.fromEntries(keys.map((k) => [`${k.selector}._domainkey.a.test`, dkimTxt(k)]));
  const file = path.join(t.dataDir, "dkim-records.json");
  fs.writeFileSync(file, JSON.stringify(records));
  const py = verifyWithDkimpy(file, signed);
  assert.equal(py.status, 0, py.stdout + py.stderr);
  assert.match(py.stdout, /^0 pass/m);
  assert.match(py.stdout, /^1 pass/m);

  // A second From added below the signature breaks it (the oversigned slot was empty).
  const tampered = Buffer.concat([signed.subarray(0, signed.indexOf("\r\n\r\n") + 2), Buffer.from("From: mallory@evil.test\r\n"), signed.subarray(signed.indexOf("\r\n\r\n") + 2)]);
  const bad = verifyWithDkimpy(file, tampered);
  assert.notEqual(bad.status, 0, bad.stdout);
});

test("a domain without keys gets its message back unchanged; rotation keeps the old selector until retired", async () => {
  await t.db.domain.create({ data: { name: "nokeys.test" } });
  const m = message("carol@nokeys.test");
  assert.equal(await signOutbound(t.db, m), m);
  const remote = message("someone@remote.test");
  assert.equal(await signOutbound(t.db, remote), remote);

  const before = await listDkimKeys(t.db, "a.test");
  await mailctl("domain", "dkim", "rotate", "a.test");
  const all = await listDkimKeys(t.db, "a.test");
  assert.equal(all.length, 4);
  const fresh = all.filter((k) => k.active);
  assert.equal(fresh.length, 2);
  assert.ok(fresh.every((k) => !before.some((b) => b.selector === k.selector)));
  let zone = await mailctl("domain", "dns", "a.test");
  for (const k of all) assert.match(zone, new RegExp(`^${k.selector}\\._domainkey`, "m"));
  const signed = (await signOutbound(t.db, message("alice@a.test"))).toString();
  for (const k of fresh) assert.match(signed, new RegExp(`s=${k.selector};`));
  for (const k of before) assert.doesNotMatch(signed, new RegExp(`s=${k.selector};`));

  await assert.rejects(mailctl("domain", "dkim", "retire", "a.test", fresh[0].selector), /still signs/);
  const retired = await mailctl("domain", "dkim", "retire", "a.test");
  for (const k of before) assert.match(retired, new RegExp(k.selector));
  zone = await mailctl("domain", "dns", "a.test");
  for (const k of before) assert.doesNotMatch(zone, new RegExp(`^${k.selector}\\._domainkey`, "m"));
  // An existing domain without keys gets them from rotate.
  await mailctl("domain", "dkim", "rotate", "nokeys.test");
  assert.match((await signOutbound(t.db, m)).toString(), /^DKIM-Signature: v=1; a=ed25519-sha256;[^]*\r\nDKIM-Signature: v=1; a=rsa-sha256;/);
});
