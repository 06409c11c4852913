/**
 * Client setup over real HTTP against the built app: Thunderbird autoconfig and Outlook
 * Autodiscover answered without a session (XML checked with two parsers, hostile input
 * escaped), and a signed-in user's Apple profile.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { XMLParser } from "fast-xml-parser";
import type { Page } from "playwright-core";
import { startTestEngine, PASSWORD, type TestEngine } from "../helpers/engine";
import { startWebApp, type WebApp } from "../helpers/web-app";

let t: TestEngine;
let app: WebApp;
let base = "";

before(async () => {
  t = await startTestEngine();
  app = await startWebApp(t, { MAIL_HOSTNAME: "mail.example.test", POP3_PORT: "0" });
  base = app.base;
});

after(async () => {
  await app?.stop();
  await t?.stop();
});

const newContext = () => app.newContext();
const signIn = (page: Page, email: string, password: string) => app.signIn(page, email, password);
const rawRequest = (from: string, method: string, urlPath: string, headers: Record<string, string> = {}, body?: string) => app.rawRequest(from, method, urlPath, headers, body);

/** Screenshots for looking at the UI: WEB_TEST_SCREENSHOTS=<dir>. */
async function shot(page: Page, name: string): Promise<void> {
  const dir = process.env.WEB_TEST_SCREENSHOTS;
  if (dir) await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}

const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@", parseTagValue: false, isArray: (n) => ["incomingServer", "outgoingServer", "Protocol"].includes(n) });

/** A document through Python's expat (strict): the (tag, text) pairs, or a failed assertion. */
function strictXml(body: string): [string, string][] {
  const script = "import sys, json, xml.etree.ElementTree as ET\nprint(json.dumps([(e.tag.split('}')[-1], e.text or '') for e in ET.fromstring(sys.stdin.buffer.read()).iter()]))";
  const r = spawnSync("python3", ["-c", script], { input: body, encoding: "utf8" });
  assert.equal(r.status, 0, `not well-formed XML: ${r.stderr}\n${body}`);
  return JSON.parse(r.stdout);
}

const OUTLOOK_REQUEST = (email: string) => `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
  <Request>
    <EMailAddress>${email}</EMailAddress>
    <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>
  </Request>
</Autodiscover>`;

test("Thunderbird autoconfig: served domain answered without a session, unknown domain 404", async () => {
  const url = "/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=alice%40example.test";
  const res = await rawRequest("127.0.0.1", "GET", url);
  assert.equal(res.status, 200, res.body);
  assert.equal(res.headers["content-type"], "application/xml; charset=utf-8");
  assert.match(String(res.headers["cache-control"]), /^public, max-age=\d+$/);
  assert.equal(res.headers["set-cookie"], undefined);
  assert.equal(res.headers["content-security-policy"], "default-src 'none'", "no page policy (and no nonce) on an XML document");
  assert.equal(res.headers["x-content-type-options"], "nosniff");
  strictXml(res.body);
  const provider = xml.parse(res.body).clientConfig.emailProvider;
  assert.equal(provider["@id"], "example.test");
  const row = (s: Record<string, string>) => `${s["@type"]} ${s.hostname}:${s.port} ${s.socketType} ${s.username}`;
  assert.deepEqual(provider.incomingServer.map(row), ["imap mail.example.test:993 SSL %EMAILADDRESS%", "imap mail.example.test:143 STARTTLS %EMAILADDRESS%", "pop3 mail.example.test:995 SSL %EMAILADDRESS%"]);
  assert.deepEqual(provider.outgoingServer.map(row), ["smtp mail.example.test:465 SSL %EMAILADDRESS%", "smtp mail.example.test:587 STARTTLS %EMAILADDRESS%"]);

  // The same bytes whether the account exists or not.
  const ghost = await rawRequest("127.0.0.1", "GET", "/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=ghost%40example.test");
  assert.equal(ghost.body, res.body);

  // What autoconfig.<domain> is asked, with the domain from the Host only.
  const byHost = await rawRequest("127.0.0.1", "GET", "/mail/config-v1.1.xml", { host: "autoconfig.example.test" });
  assert.equal(byHost.status, 200, byHost.body);
  assert.equal(byHost.body, res.body);

  const unknown = await rawRequest("127.0.0.1", "GET", "/mail/config-v1.1.xml?emailaddress=alice%40elsewhere.test");
  assert.equal(unknown.status, 404);
  assert.equal(unknown.headers["cache-control"], "no-store");
  const hostile = await rawRequest("127.0.0.1", "GET", `/mail/config-v1.1.xml?emailaddress=${encodeURIComponent(`x"/><evil/>@example.test`)}`);
  assert.equal(hostile.status, 404);
  assert.doesNotMatch(hostile.body, /evil/);
});

test("Outlook Autodiscover: a POST of Outlook's request gets IMAP, POP3 and SMTP settings; GET gets a helpful 405", async () => {
  for (const p of ["/autodiscover/autodiscover.xml", "/Autodiscover/Autodiscover.xml"]) {
    const res = await rawRequest("127.0.0.1", "POST", p, { "content-type": "text/xml" }, OUTLOOK_REQUEST("alice@example.test"));
    assert.equal(res.status, 200, `${p}: ${res.body}`);
    assert.equal(res.headers["content-type"], "application/xml; charset=utf-8");
    assert.equal(res.headers["cache-control"], "no-store");
    strictXml(res.body);
    const account = xml.parse(res.body).Autodiscover.Response.Account;
    assert.equal(account.Action, "settings");
    assert.deepEqual(account.Protocol.map((x: Record<string, string>) => `${x.Type} ${x.Server}:${x.Port} ${x.Encryption} ${x.LoginName}`), [
      "IMAP mail.example.test:993 SSL alice@example.test",
      "POP3 mail.example.test:995 SSL alice@example.test",
      "SMTP mail.example.test:465 SSL alice@example.test",
    ], "the preferred listener of each protocol");
  }
  const unknown = await rawRequest("127.0.0.1", "POST", "/autodiscover/autodiscover.xml", { "content-type": "text/xml" }, OUTLOOK_REQUEST("alice@elsewhere.test"));
  assert.equal(unknown.status, 404);
  assert.equal(xml.parse(unknown.body).Autodiscover.Response.Error.ErrorCode, "600");

  const get = await rawRequest("127.0.0.1", "GET", "/autodiscover/autodiscover.xml");
  assert.equal(get.status, 405);
  assert.equal(get.headers.allow, "POST");
  assert.match(xml.parse(get.body).Autodiscover.Response.Error.DebugData, /POST/);
});

test("XML injection through the address is escaped, never markup", async () => {
  // A legal local part full of XML-special characters comes back intact, as text.
  const tricky = `o'brien&co@example.test`;
  const res = await rawRequest("127.0.0.1", "POST", "/autodiscover/autodiscover.xml", { "content-type": "text/xml" }, OUTLOOK_REQUEST(`o&apos;brien&amp;co@example.test`));
  assert.equal(res.status, 200, res.body);
  const logins = strictXml(res.body).filter(([tag]) => tag === "LoginName").map(([, text]) => text);
  assert.ok(logins.length >= 2);
  for (const l of logins) assert.equal(l, tricky);

  // Markup smuggled in as entities: refused, and the error document is well-formed with nothing injected.
  const hostile = await rawRequest("127.0.0.1", "POST", "/autodiscover/autodiscover.xml", { "content-type": "text/xml" }, OUTLOOK_REQUEST(`x&lt;/LoginName&gt;&lt;evil/&gt;@example.test`));
  assert.equal(hostile.status, 400);
  assert.ok(!strictXml(hostile.body).some(([tag]) => tag === "evil"));
  const doctype = await rawRequest("127.0.0.1", "POST", "/autodiscover/autodiscover.xml", { "content-type": "text/xml" }, `<!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]>` + OUTLOOK_REQUEST("&e;@example.test"));
  assert.equal(doctype.status, 400);
  assert.doesNotMatch(doctype.body, /root:/);
});

test("a signed-in user downloads an Apple profile for their own account; without a session there is none", async () => {
  const anon = await rawRequest("127.0.0.1", "GET", "/setup/mobileconfig");
  assert.ok([302, 303, 307].includes(anon.status), `status ${anon.status}`);
  assert.equal(new URL(String(anon.headers.location), base).pathname, "/login");

  const ctx = await newContext();
  try {
    const page = await ctx.newPage();
    await signIn(page, "bob@example.test", PASSWORD);
    await page.waitForURL(`${base}/mail/INBOX`);
    await page.getByTestId("setup-link").click();
    await page.waitForURL(`${base}/setup`);
    const settings = (await page.getByTestId("client-settings").textContent()) ?? "";
    assert.match(settings, /mail\.example\.test/);
    assert.match(settings, /993/);
    await shot(page, "setup");
    const href = (await page.getByTestId("mobileconfig-download").getAttribute("href")) ?? "";
    const dl = await page.request.get(href);
    assert.equal(dl.status(), 200);
    assert.equal(dl.headers()["content-type"], "application/x-apple-aspen-config");
    assert.equal(dl.headers()["content-disposition"], 'attachment; filename="bob@example.test.mobileconfig"');
    assert.equal(dl.headers()["cache-control"], "private, no-store");
    const body = await dl.text();
    assert.doesNotMatch(body, /correct horse|Password<\/key>\s*<string>/i, "no password in the profile");
    const r = spawnSync("python3", ["-c", "import sys, json, plistlib; print(json.dumps(plistlib.loads(sys.stdin.buffer.read())))"], { input: body, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const profile = JSON.parse(r.stdout);
    assert.equal(profile.PayloadType, "Configuration");
    const [mail] = profile.PayloadContent;
    assert.equal(mail.PayloadType, "com.apple.mail.managed");
    assert.deepEqual([mail.EmailAddress, mail.EmailAccountName, mail.IncomingMailServerHostName, mail.IncomingMailServerPortNumber, mail.OutgoingMailServerPortNumber], ["bob@example.test", "Bob", "mail.example.test", 993, 465]);
    const again = await (await page.request.get(href)).text();
    assert.equal(again, body, "the same UUIDs on every download");
  } finally {
    await ctx.close();
  }
});
