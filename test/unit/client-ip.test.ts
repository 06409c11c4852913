/** The web client's address: the socket's, unless a trusted proxy forwarded the request. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { clientIp, normaliseIp } from "../../lib/web/client-ip";

const PEER = "x-mailsuite-peer-test";
const ip = (headers: Record<string, string>, trustedProxies: string[] = []) => clientIp(headers, { trustedProxies, peerHeader: PEER });

test("without trusted proxies the socket's address is the client, whatever X-Forwarded-For says", () => {
  assert.equal(ip({ [PEER]: "198.51.100.9", "x-forwarded-for": "203.0.113.7" }), "198.51.100.9");
  assert.equal(ip({ [PEER]: "::ffff:127.0.0.5", "x-forwarded-for": "127.0.0.1" }), "127.0.0.5");
  assert.equal(ip({ [PEER]: "2001:DB8::1" }), "2001:db8::1");
  assert.equal(ip({ [PEER]: "198.51.100.9", "x-real-ip": "203.0.113.7" }), "198.51.100.9", "X-Real-IP is not believed either");
});

test("behind trusted proxies: the rightmost untrusted X-Forwarded-For hop", () => {
  const proxies = ["10.0.0.0/8", "fd00::/8", "192.0.2.1"];
  // The client forged a first hop; the proxy appended the real one.
  assert.equal(ip({ [PEER]: "10.1.2.3", "x-forwarded-for": "6.6.6.6, 203.0.113.7" }, proxies), "203.0.113.7");
  // Two trusted proxies in a row.
  assert.equal(ip({ [PEER]: "192.0.2.1", "x-forwarded-for": "6.6.6.6, 203.0.113.7, 10.9.9.9" }, proxies), "203.0.113.7");
  assert.equal(ip({ [PEER]: "fd00::1", "x-forwarded-for": "[2001:db8::7]:443" }, proxies), "2001:db8::7");
  // Every hop trusted: the leftmost is the best there is.
  assert.equal(ip({ [PEER]: "10.0.0.1", "x-forwarded-for": "10.0.0.2" }, proxies), "10.0.0.2");
  // The proxy added nothing: it is the client as far as we can tell.
  assert.equal(ip({ [PEER]: "10.0.0.1" }, proxies), "10.0.0.1");
  // Garbage where an address should be stops the walk at the last trusted hop.
  assert.equal(ip({ [PEER]: "10.0.0.1", "x-forwarded-for": "203.0.113.7, not-an-ip" }, proxies), "10.0.0.1");
  // A peer outside the list is not a proxy, even when its header looks plausible.
  assert.equal(ip({ [PEER]: "192.0.2.2", "x-forwarded-for": "203.0.113.7" }, proxies), "192.0.2.2");
  // Several X-Forwarded-For lines arrive joined, as Node and fetch's Headers join them.
  assert.equal(clientIp(new Headers([[PEER, "10.0.0.1"], ["x-forwarded-for", "6.6.6.6"], ["x-forwarded-for", "203.0.113.8"]]), { trustedProxies: proxies, peerHeader: PEER }), "203.0.113.8");
});

test("without the web server's peer header (plain next start): the rightmost X-Forwarded-For hop, else unknown", () => {
  const opts = { trustedProxies: [], peerHeader: null };
  assert.equal(clientIp({ "x-forwarded-for": "6.6.6.6, 127.0.0.1" }, opts), "127.0.0.1");
  assert.equal(clientIp({ [PEER]: "198.51.100.9" }, opts), "unknown", "a header nobody stamped is not believed");
  assert.equal(clientIp(undefined, opts), "unknown");
});

test("addresses are normalised: ports, brackets, IPv4-mapped IPv6, case", () => {
  assert.equal(normaliseIp("203.0.113.7:5000"), "203.0.113.7");
  assert.equal(normaliseIp("[2001:DB8::1]:443"), "2001:db8::1");
  assert.equal(normaliseIp("::FFFF:192.0.2.1"), "192.0.2.1");
  assert.equal(normaliseIp("nonsense"), null);
});
