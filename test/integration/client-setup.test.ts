/**
 * The client-setup handlers of lib/web/client-setup against a real database (SQLite, or
 * PostgreSQL with TEST_DB=postgresql): which domains get answers, that an address's
 * existence never changes one, and what bad requests get. test/e2e/webmail.test.ts
 * asks the same over HTTP through the built app.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { XMLParser } from "fast-xml-parser";
import { testDatabase, type TestDatabase } from "../helpers/db";
import { addAccount, addDomain } from "../../lib/directory";
import { autoconfigDomain, handleAutoconfig, handleAutodiscover, autodiscoverGet } from "../../lib/web/client-setup";
import { MAX_REQUEST_BYTES } from "../../lib/client-setup/outlook-autodiscover";

let t: TestDatabase;
const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@", parseTagValue: false });

const outlookRequest = (email: string) => `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
  <Request>
    <EMailAddress>${email}</EMailAddress>
    <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>
  </Request>
</Autodiscover>`;

const autoconfig = (url: string, host = "mail.example.test") => handleAutoconfig(new Request(url, { headers: { host } }), t);
const autodiscover = (body: string) => handleAutodiscover(new Request("https://autodiscover.example.test/autodiscover/autodiscover.xml", { method: "POST", body }), t);

before(async () => {
  t = await testDatabase({ MAIL_HOSTNAME: "mail.example.test", POP3_PORT: "0" });
  await addDomain(t.db, "example.test", "test");
  await addAccount(t.db, { email: "alice@example.test", password: "correct horse battery" }, "test");
});

after(async () => {
  await t?.cleanup();
});

test("autoconfig answers for a served domain, with the configured ports, whether or not the account exists", async () => {
  const res = await autoconfig("https://autoconfig.example.test/mail/config-v1.1.xml?emailaddress=alice%40example.test");
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "application/xml; charset=utf-8");
  assert.match(res.headers.get("cache-control") ?? "", /max-age=\d+/);
  const body = await res.text();
  const provider = parser.parse(body).clientConfig.emailProvider;
  assert.equal(provider["@id"], "example.test");
  assert.deepEqual([provider.incomingServer].flat().map((s: Record<string, string>) => `${s["@type"]}:${s.port}`), ["imap:993", "imap:143", "pop3:995"], "POP3_PORT=0 is left out");

  const nobody = await autoconfig("https://example.test/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=nobody%40EXAMPLE.test");
  assert.equal(nobody.status, 200);
  assert.equal(await nobody.text(), body, "the same bytes for an address with no account");
});

test("autoconfig: unknown domains, bad addresses and a hostile address get a 404 that says nothing more", async () => {
  for (const q of ["emailaddress=alice%40other.test", "emailaddress=not-an-address", `emailaddress=${encodeURIComponent(`"><x/>@example.test`)}`, "emailaddress="]) {
    const res = await autoconfig(`https://example.test/.well-known/autoconfig/mail/config-v1.1.xml?${q}`);
    assert.equal(res.status, 404, q);
    assert.equal(res.headers.get("cache-control"), "no-store");
    assert.doesNotMatch(await res.text(), /other\.test|not-an-address|<x/, "the input is not reflected");
  }
});

test("autoconfig without ?emailaddress takes the domain from the Host asked", async () => {
  assert.equal(autoconfigDomain(new URL("https://x/mail/config-v1.1.xml"), "autoconfig.Example.TEST:443"), "example.test");
  assert.equal(autoconfigDomain(new URL("https://x/.well-known/autoconfig/mail/config-v1.1.xml"), "example.test"), "example.test");
  assert.equal(autoconfigDomain(new URL("https://x/mail/config-v1.1.xml?emailaddress=a@b.example"), "autoconfig.example.test"), "b.example", "the address wins");
  assert.equal((await autoconfig("https://autoconfig.example.test/mail/config-v1.1.xml", "autoconfig.example.test")).status, 200);
  assert.equal((await autoconfig("https://autoconfig.other.test/mail/config-v1.1.xml", "autoconfig.other.test")).status, 404);
});

test("Autodiscover answers an Outlook request for a served domain, the same for unknown local parts", async () => {
  const res = await autodiscover(outlookRequest("alice@example.test"));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "application/xml; charset=utf-8");
  assert.equal(res.headers.get("cache-control"), "no-store");
  const protocols = parser.parse(await res.text()).Autodiscover.Response.Account.Protocol;
  assert.deepEqual(protocols.map((p: Record<string, string>) => `${p.Type} ${p.Server}:${p.Port} ${p.LoginName}`), [
    "IMAP mail.example.test:993 alice@example.test",
    "POP3 mail.example.test:995 alice@example.test",
    "SMTP mail.example.test:465 alice@example.test",
  ]);
  const a = await (await autodiscover(outlookRequest("ghost@example.test"))).text();
  const b = await (await autodiscover(outlookRequest("alice@example.test"))).text();
  assert.equal(a.replaceAll("ghost@", "alice@"), b, "no difference but the echoed address");
});

test("Autodiscover: unknown domain 404, malformed 400, oversized 413, GET 405 with a helpful error", async () => {
  const other = await autodiscover(outlookRequest("alice@other.test"));
  assert.equal(other.status, 404);
  assert.equal(parser.parse(await other.text()).Autodiscover.Response.Error.ErrorCode, "600");
  assert.equal((await autodiscover("<Autodiscover>")).status, 400);
  assert.equal((await autodiscover(outlookRequest("not an address"))).status, 400);
  assert.equal((await autodiscover(outlookRequest("x".repeat(MAX_REQUEST_BYTES)))).status, 413);
  const get = autodiscoverGet();
  assert.equal(get.status, 405);
  assert.equal(get.headers.get("allow"), "POST");
  assert.match(parser.parse(await get.text()).Autodiscover.Response.Error.DebugData, /POST/);
});
