// The tests' loopback DNS server answers node's own resolver (the one the engine uses
// through DNS_SERVERS) over UDP and TCP, with NXDOMAIN, NODATA and SERVFAIL as real servers do.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Resolver } from "node:dns/promises";
import { startDnsServer } from "../helpers/dns-server";

test("loopback DNS server answers MX, A, TXT, and the error kinds", async () => {
  const dns = await startDnsServer([
    { name: "a.test", type: "MX", data: { preference: 10, exchange: "mx.a.test" } },
    { name: "mx.a.test", type: "A", data: "127.0.0.2" },
    { name: "a.test", type: "TXT", data: "v=spf1 ip4:127.0.0.2 -all" },
    { name: "sel._domainkey.a.test", type: "TXT", data: "v=DKIM1; k=rsa; p=" + "A".repeat(400) },
  ]);
  try {
    const r = new Resolver({ timeout: 2000, tries: 1 });
    r.setServers([dns.address]);
    assert.deepEqual(await r.resolveMx("a.test"), [{ priority: 10, exchange: "mx.a.test" }]);
    assert.deepEqual(await r.resolve4("mx.a.test"), ["127.0.0.2"]);
    assert.deepEqual(await r.resolveTxt("a.test"), [["v=spf1 ip4:127.0.0.2 -all"]]);
    const dkim = await r.resolveTxt("sel._domainkey.a.test");
    assert.equal(dkim[0].join(""), "v=DKIM1; k=rsa; p=" + "A".repeat(400));
    await assert.rejects(r.resolve4("nowhere.test"), { code: "ENOTFOUND" });
    await assert.rejects(r.resolve4("a.test"), { code: "ENODATA" });
    dns.fail("a.test");
    await assert.rejects(r.resolveMx("a.test"), { code: "ESERVFAIL" });
    dns.heal("a.test");
    dns.remove("a.test", "MX");
    await assert.rejects(r.resolveMx("a.test"), { code: "ENODATA" });
    assert.ok(dns.queries.includes("a.test MX"));
  } finally {
    await dns.close();
  }
});
