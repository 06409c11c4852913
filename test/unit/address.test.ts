import { test } from "node:test";
import assert from "node:assert/strict";
import { parseAddress, normaliseDomain, stripPlusTag, catchAllKey } from "../../lib/domain/address";

test("parseAddress lower-cases and normalises the domain to A-labels", () => {
  assert.deepEqual(parseAddress(" Alice@Example.COM "), { local: "alice", domain: "example.com", address: "alice@example.com" });
  assert.equal(parseAddress("bob@bücher.example")?.domain, "xn--bcher-kva.example");
});

test("parseAddress rejects what is not an address", () => {
  for (const bad of ["not-an-address", "@example.com", "alice@", "a@b", "a b@example.com", "a..b@example.com", "alice@-x.com", "x".repeat(65) + "@example.com"]) {
    assert.equal(parseAddress(bad), null, bad);
  }
});

test("stripPlusTag removes the tag, keeps addresses without one", () => {
  assert.equal(stripPlusTag(parseAddress("alice+news@example.com")!)?.address, "alice@example.com");
  assert.equal(stripPlusTag(parseAddress("alice@example.com")!), null);
  assert.equal(stripPlusTag(parseAddress("+x@example.com")!), null);
});

test("domain helpers", () => {
  assert.equal(normaliseDomain("Example.com."), "example.com");
  assert.equal(normaliseDomain("localhost"), null);
  assert.equal(catchAllKey("example.com"), "@example.com");
});
