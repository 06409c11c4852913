/**
 * The client-setup documents, parsed back with real XML parsers: fast-xml-parser in
 * process, and Python's expat (xml.etree) and plistlib, strict parsers nobody here wrote.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { loadConfig } from "../../lib/config";
import { clientServices } from "../../lib/client-setup/services";
import { escapeXml } from "../../lib/client-setup/xml";
import { thunderbirdAutoconfig } from "../../lib/client-setup/thunderbird-autoconfig";
import { autodiscoverError, autodiscoverResponse, parseAutodiscoverRequest, OUTLOOK_RESPONSE_NS } from "../../lib/client-setup/outlook-autodiscover";
import { appleMobileconfig, mobileconfigFilename, NoMailServiceError, stableUuid } from "../../lib/client-setup/apple-mobileconfig";
import { clientDnsRecords, zoneLine } from "../../lib/client-setup/dns-records";

const config = loadConfig({ MAIL_HOSTNAME: "mail.example.com" });
const services = clientServices(config);
const HOSTILE = `x"/><evil a='1'>&amp;]]></username><!--@example.com`;

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@", parseTagValue: false, isArray: (name) => ["incomingServer", "outgoingServer", "Protocol", "dict", "string"].includes(name) });

/** Parses with Python's expat: throws on anything not well-formed; returns the text of every element, in document order. */
function pythonTexts(xml: string): string[] {
  const script = `import sys, json, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.buffer.read())
print(json.dumps([(e.tag.split('}')[-1], e.text or '') for e in root.iter()]))`;
  const r = spawnSync("python3", ["-c", script], { input: xml, encoding: "utf8" });
  assert.equal(r.status, 0, `python's XML parser refused the document: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function pythonPlist(xml: string): unknown {
  const r = spawnSync("python3", ["-c", "import sys, json, plistlib; print(json.dumps(plistlib.loads(sys.stdin.buffer.read())))"], { input: xml, encoding: "utf8" });
  assert.equal(r.status, 0, `plistlib refused the profile: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

test("services follow the configured ports, implicit TLS first, a port of 0 left out", () => {
  assert.deepEqual(
    services.map((s) => `${s.protocol}/${s.security}/${s.host}:${s.port}`),
    ["imap/tls/mail.example.com:993", "imap/starttls/mail.example.com:143", "pop3/tls/mail.example.com:995", "pop3/starttls/mail.example.com:110", "smtp/tls/mail.example.com:465", "smtp/starttls/mail.example.com:587"],
  );
  const some = clientServices(loadConfig({ MAIL_HOSTNAME: "mx.example.org", IMAPS_PORT: "0", POP3_PORT: "0", SUBMISSION_PORT: "1587" }));
  assert.deepEqual(some.map((s) => `${s.protocol}/${s.security}:${s.port}`), ["imap/starttls:143", "pop3/tls:995", "smtp/tls:465", "smtp/starttls:1587"]);
});

test("escapeXml escapes markup and drops characters XML cannot carry", () => {
  assert.equal(escapeXml(`<a href="x">'&'</a>`), "&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;");
  assert.equal(escapeXml("a\u0000b\u001bc\td\ufffe\ud800e😀"), "abc\tde😀");
});

test("Thunderbird autoconfig lists IMAP, POP3 and SMTP with %EMAILADDRESS% and parses back", () => {
  const xml = thunderbirdAutoconfig("example.com", services);
  assert.equal(XMLValidator.validate(xml), true);
  const doc = parser.parse(xml);
  assert.equal(doc.clientConfig["@version"], "1.1");
  const p = doc.clientConfig.emailProvider;
  assert.equal(p["@id"], "example.com");
  assert.equal(p.domain, "example.com");
  const row = (s: Record<string, string>) => `${s["@type"]} ${s.hostname}:${s.port} ${s.socketType} ${s.authentication} ${s.username}`;
  assert.deepEqual(p.incomingServer.map(row), [
    "imap mail.example.com:993 SSL password-cleartext %EMAILADDRESS%",
    "imap mail.example.com:143 STARTTLS password-cleartext %EMAILADDRESS%",
    "pop3 mail.example.com:995 SSL password-cleartext %EMAILADDRESS%",
    "pop3 mail.example.com:110 STARTTLS password-cleartext %EMAILADDRESS%",
  ]);
  assert.deepEqual(p.outgoingServer.map(row), ["smtp mail.example.com:465 SSL password-cleartext %EMAILADDRESS%", "smtp mail.example.com:587 STARTTLS password-cleartext %EMAILADDRESS%"]);
  const texts = pythonTexts(xml);
  assert.equal(texts.filter(([tag]) => tag === "incomingServer").length, 4);

  const noPop = thunderbirdAutoconfig("example.com", clientServices(loadConfig({ MAIL_HOSTNAME: "m.example.com", POP3_PORT: "0", POP3S_PORT: "0" })));
  assert.deepEqual(parser.parse(noPop).clientConfig.emailProvider.incomingServer.map((s: Record<string, string>) => s["@type"]), ["imap", "imap"]);
});

test("Autodiscover: an Outlook request is read; the answer has one Protocol per protocol, preferred ports", () => {
  const req = `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
  <Request>
    <EMailAddress>alice@example.com</EMailAddress>
    <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>
  </Request>
</Autodiscover>`;
  assert.deepEqual(parseAutodiscoverRequest(req), { ok: true, email: "alice@example.com", schema: OUTLOOK_RESPONSE_NS });
  // Prefixed namespaces and escaped characters are XML too.
  const prefixed = `<a:Autodiscover xmlns:a="${"http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"}"><a:Request><a:EMailAddress>o&apos;brien@example.com</a:EMailAddress></a:Request></a:Autodiscover>`;
  assert.deepEqual(parseAutodiscoverRequest(prefixed), { ok: true, email: "o'brien@example.com", schema: OUTLOOK_RESPONSE_NS });

  const xml = autodiscoverResponse("alice@example.com", services);
  const doc = parser.parse(xml);
  assert.equal(doc.Autodiscover["@xmlns"], "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006");
  assert.equal(doc.Autodiscover.Response["@xmlns"], OUTLOOK_RESPONSE_NS);
  const account = doc.Autodiscover.Response.Account;
  assert.equal(account.AccountType, "email");
  assert.equal(account.Action, "settings");
  assert.deepEqual(
    account.Protocol.map((p: Record<string, string>) => `${p.Type} ${p.Server}:${p.Port} ${p.Encryption} ${p.LoginName}`),
    ["IMAP mail.example.com:993 SSL alice@example.com", "POP3 mail.example.com:995 SSL alice@example.com", "SMTP mail.example.com:465 SSL alice@example.com"],
  );
  pythonTexts(xml);

  const starttlsOnly = autodiscoverResponse("a@example.com", clientServices(loadConfig({ MAIL_HOSTNAME: "m.example.com", IMAPS_PORT: "0", POP3S_PORT: "0", POP3_PORT: "0", SUBMISSIONS_PORT: "0" })));
  assert.deepEqual(
    parser.parse(starttlsOnly).Autodiscover.Response.Account.Protocol.map((p: Record<string, string>) => `${p.Type}:${p.Port} ${p.Encryption}`),
    ["IMAP:143 TLS", "SMTP:587 TLS"],
  );
});

test("Autodiscover refuses what is not an Outlook request: no address, other schemas, DOCTYPEs, malformed or huge bodies", () => {
  const bad = (body: string) => {
    const r = parseAutodiscoverRequest(body);
    assert.equal(r.ok, false, body.slice(0, 80));
    return r.ok ? 0 : r.code;
  };
  assert.equal(bad("<Autodiscover><Request></Request></Autodiscover>"), 600);
  assert.equal(bad("not xml at all"), 600);
  assert.equal(bad("<Autodiscover><Request><EMailAddress>a@b.c</EMailAddress></Request>"), 600, "unclosed root");
  assert.equal(bad(`<!DOCTYPE x [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><Autodiscover><Request><EMailAddress>&b;</EMailAddress></Request></Autodiscover>`), 600);
  assert.equal(bad(`<Autodiscover><Request><EMailAddress>a@b.c</EMailAddress><AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006</AcceptableResponseSchema></Request></Autodiscover>`), 601);
  assert.equal(bad(`<Autodiscover><Request><EMailAddress>${"a".repeat(20_000)}@b.c</EMailAddress></Request></Autodiscover>`), 600);

  const err = autodiscoverError(600, `bad <input> & "more"`);
  const doc = parser.parse(err);
  assert.equal(doc.Autodiscover.Response.Error.ErrorCode, "600");
  assert.equal(doc.Autodiscover.Response.Error.DebugData, `bad <input> & "more"`);
  pythonTexts(err);
});

test("a hostile address cannot inject XML into the Autodiscover answer", () => {
  const xml = autodiscoverResponse(HOSTILE, services);
  const texts = pythonTexts(xml);
  assert.ok(!texts.some(([tag]) => tag === "evil"), "no element was injected");
  const logins = texts.filter(([tag]) => tag === "LoginName").map(([, text]) => text);
  assert.deepEqual(logins, [HOSTILE, HOSTILE, HOSTILE], "the address comes back as text, intact");
});

test("Apple profile: a com.apple.mail.managed payload, no password, stable UUIDs per account", () => {
  const alice = { id: "cmalice000001", email: "alice@example.com", displayName: "Alice Example" };
  const xml = appleMobileconfig(alice, "mail.example.com", services);
  assert.doesNotMatch(xml, /Password<\/key>\s*<string>/, "no password in the profile");
  const p = pythonPlist(xml) as Record<string, unknown>;
  assert.equal(p.PayloadType, "Configuration");
  assert.equal(p.PayloadVersion, 1);
  assert.match(String(p.PayloadUUID), /^[0-9A-F]{8}-[0-9A-F]{4}-8[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/);
  const [mail] = p.PayloadContent as Record<string, unknown>[];
  assert.equal(mail.PayloadType, "com.apple.mail.managed");
  assert.equal(mail.EmailAccountType, "EmailTypeIMAP");
  assert.equal(mail.EmailAddress, "alice@example.com");
  assert.equal(mail.EmailAccountName, "Alice Example");
  assert.deepEqual([mail.IncomingMailServerHostName, mail.IncomingMailServerPortNumber, mail.IncomingMailServerUseSSL, mail.IncomingMailServerUsername], ["mail.example.com", 993, true, "alice@example.com"]);
  assert.deepEqual([mail.OutgoingMailServerHostName, mail.OutgoingMailServerPortNumber, mail.OutgoingMailServerUseSSL, mail.OutgoingPasswordSameAsIncomingPassword], ["mail.example.com", 465, true, true]);
  assert.equal(mail.IncomingPassword, undefined);
  assert.notEqual(mail.PayloadUUID, p.PayloadUUID);

  // The same account gets the same identifiers; another account gets others.
  const again = pythonPlist(appleMobileconfig(alice, "mail.example.com", services)) as Record<string, unknown>;
  assert.equal(again.PayloadUUID, p.PayloadUUID);
  assert.equal(again.PayloadIdentifier, p.PayloadIdentifier);
  const bob = pythonPlist(appleMobileconfig({ id: "cmbob0000002", email: "bob@example.com", displayName: null }, "mail.example.com", services)) as Record<string, unknown>;
  assert.notEqual(bob.PayloadUUID, p.PayloadUUID);
  assert.equal((bob.PayloadContent as Record<string, unknown>[])[0].EmailAccountName, "bob@example.com");
  assert.notEqual(stableUuid("a", "bc"), stableUuid("ab", "c"));

  // POP3 only, STARTTLS submission only.
  const pop = pythonPlist(appleMobileconfig(alice, "m.example.com", clientServices(loadConfig({ MAIL_HOSTNAME: "m.example.com", IMAP_PORT: "0", IMAPS_PORT: "0", SUBMISSIONS_PORT: "0" })))) as Record<string, unknown>;
  const popMail = (pop.PayloadContent as Record<string, unknown>[])[0];
  assert.deepEqual([popMail.EmailAccountType, popMail.IncomingMailServerPortNumber, popMail.OutgoingMailServerPortNumber], ["EmailTypePOP", 995, 587]);
  assert.throws(() => appleMobileconfig(alice, "m", clientServices(loadConfig({ MAIL_HOSTNAME: "m", SUBMISSION_PORT: "0", SUBMISSIONS_PORT: "0" }))), NoMailServiceError);
});

test("a hostile display name or address stays text in the profile", () => {
  const xml = appleMobileconfig({ id: "x", email: HOSTILE, displayName: `</string><key>IncomingPassword</key><string>pw` }, "mail.example.com", services);
  const p = pythonPlist(xml) as Record<string, unknown>;
  const [mail] = p.PayloadContent as Record<string, unknown>[];
  assert.equal(mail.EmailAddress, HOSTILE);
  assert.equal(mail.EmailAccountName, `</string><key>IncomingPassword</key><string>pw`);
  assert.equal(mail.IncomingPassword, undefined);
  assert.equal(mobileconfigFilename(`a/../b"c@example.com`), "a_.._b_c@example.com.mobileconfig");
});

test("DNS records: RFC 6186/8314 SRV for each service, autoconfig and autodiscover names", () => {
  const lines = clientDnsRecords("example.org", config).map((r) => zoneLine(r));
  assert.deepEqual(lines, [
    "_imaps._tcp.example.org. 3600 IN SRV 0 1 993 mail.example.com.",
    "_imap._tcp.example.org. 3600 IN SRV 10 1 143 mail.example.com.",
    "_pop3s._tcp.example.org. 3600 IN SRV 20 1 995 mail.example.com.",
    "_pop3._tcp.example.org. 3600 IN SRV 30 1 110 mail.example.com.",
    "_submissions._tcp.example.org. 3600 IN SRV 0 1 465 mail.example.com.",
    "_submission._tcp.example.org. 3600 IN SRV 10 1 587 mail.example.com.",
    "autoconfig.example.org. 3600 IN CNAME mail.example.com.",
    "autodiscover.example.org. 3600 IN CNAME mail.example.com.",
    "_autodiscover._tcp.example.org. 3600 IN SRV 0 0 443 mail.example.com.",
  ]);
  const off = clientDnsRecords("example.org", loadConfig({ MAIL_HOSTNAME: "mx.example.org", POP3_PORT: "0", POP3S_PORT: "0", IMAP_PORT: "1143" }));
  assert.equal(off.find((r) => r.name === "_pop3s._tcp.example.org.")?.value, "0 0 0 .", "a service that is off is published as not available");
  assert.equal(off.find((r) => r.name === "_imap._tcp.example.org.")?.value, "10 1 1143 mx.example.org.");
});
