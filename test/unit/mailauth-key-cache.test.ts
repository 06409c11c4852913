// The DKIM key cache put into mailauth (mail-engine/smtp/mailauth-key-cache.ts): a key is
// looked up and parsed once per cache period, and a failed look-up is not kept.
import { test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { installKeyCache } from "../../mail-engine/smtp/mailauth-key-cache";
import { dkimSignatures } from "../../lib/dkim/sign";

test("mailauth's verifier looks each DKIM key up once while it is cached; failures are retried", async () => {
  installKeyCache(60_000); // before mailauth is loaded, as the engine does
  const { authenticate } = await import("mailauth");
  const pair = crypto.generateKeyPairSync("ed25519");
  const key = {
    id: "k", selector: "s", algorithm: "ed25519-sha256", active: true, createdAt: new Date(), retiredAt: null,
    privateKey: pair.privateKey.export({ type: "pkcs8", format: "pem" }) as string,
    publicKey: pair.publicKey.export({ type: "spki", format: "der" }).subarray(-32).toString("base64"),
  };
  const raw = Buffer.from("From: a@cache.test\r\nTo: b@example.test\r\nSubject: x\r\n\r\nbody\r\n");
  const signed = Buffer.concat([Buffer.from(dkimSignatures(raw, "cache.test", [key])), raw]);
  const asked: string[] = [];
  let failing = false;
  const resolver = async (name: string, rr: string): Promise<never> => {
    asked.push(`${rr} ${name}`);
    if (name === "s._domainkey.cache.test") {
      if (failing) throw Object.assign(new Error("SERVFAIL"), { code: "ESERVFAIL" });
      return [[`v=DKIM1; k=ed25519; p=${key.publicKey}`]] as never;
    }
    throw Object.assign(new Error("no data"), { code: "ENODATA" });
  };
  const check = async () => (await authenticate(signed, { ip: "192.0.2.1", helo: "h.test", sender: "a@cache.test", mta: "mx.test", resolver, disableArc: true, disableBimi: true })).dkim.results[0].status.result;
  assert.equal(await check(), "pass");
  assert.equal(await check(), "pass");
  assert.equal(asked.filter((q) => q === "TXT s._domainkey.cache.test").length, 1);

  // A failure is never cached: the next message asks again.
  const other = Buffer.concat([Buffer.from(dkimSignatures(raw, "cache.test", [{ ...key, selector: "t" }])), raw]);
  failing = true;
  const fail = async () => (await authenticate(other, { ip: "192.0.2.1", helo: "h.test", sender: "a@cache.test", mta: "mx.test", resolver: async (n: string, rr: string) => resolver(n === "t._domainkey.cache.test" ? "s._domainkey.cache.test" : n, rr), disableArc: true, disableBimi: true })).dkim.results[0].status.result;
  assert.equal(await fail(), "temperror");
  failing = false;
  assert.equal(await fail(), "pass");
});
