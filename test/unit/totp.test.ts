// TOTP against the RFCs' own test vectors, and the rules around it: a window of one step
// either side, each step good once, base32 both ways.
import { test } from "node:test";
import assert from "node:assert/strict";
import { base32Decode, base32Encode, hotp, newTotpSecret, otpauthUri, totpAt, verifyTotp } from "../../lib/auth/totp";

const RFC_SECRET = Buffer.from("12345678901234567890");

test("HOTP matches RFC 4226 appendix D", () => {
  const expected = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"];
  expected.forEach((code, counter) => assert.equal(hotp(RFC_SECRET, counter), code));
});

test("TOTP matches RFC 6238 appendix B (SHA-1, 8 digits)", () => {
  const vectors: Array<[number, string]> = [
    [59, "94287082"],
    [1111111109, "07081804"],
    [1111111111, "14050471"],
    [1234567890, "89005924"],
    [2000000000, "69279037"],
    [20000000000, "65353130"],
  ];
  for (const [t, code] of vectors) assert.equal(hotp(RFC_SECRET, Math.floor(t / 30), 8), code, `T=${t}`);
});

test("base32 round trip (RFC 4648 test vectors, no padding)", () => {
  assert.equal(base32Encode(Buffer.from("foobar")), "MZXW6YTBOI");
  assert.equal(base32Decode("MZXW6YTBOI").toString(), "foobar");
  assert.equal(base32Decode("mzxw 6ytb oi======").toString(), "foobar");
  assert.throws(() => base32Decode("MZ1"));
  const s = newTotpSecret();
  assert.match(s, /^[A-Z2-7]{32}$/);
  assert.equal(base32Decode(s).length, 20);
});

test("verifyTotp: ±1 step, each step once, junk refused", () => {
  const secret = newTotpSecret();
  const now = 1_800_000_000_000;
  const step = Math.floor(now / 30_000);
  assert.equal(verifyTotp(secret, totpAt(secret, now), 0, now), step);
  assert.equal(verifyTotp(secret, totpAt(secret, now - 30_000), 0, now), step - 1);
  assert.equal(verifyTotp(secret, totpAt(secret, now + 30_000), 0, now), step + 1);
  assert.equal(verifyTotp(secret, totpAt(secret, now - 90_000), 0, now), null, "two steps old");
  assert.equal(verifyTotp(secret, totpAt(secret, now), step, now), null, "already used");
  const spaced = totpAt(secret, now).replace(/^(\d{3})/, "$1 ");
  assert.equal(verifyTotp(secret, spaced, 0, now), step);
  for (const junk of ["", "12345", "1234567", "abcdef", "12345a"]) assert.equal(verifyTotp(secret, junk, 0, now), null, junk);
});

test("otpauth URI names issuer and account", () => {
  const uri = otpauthUri("ABC", "alice@example.test", "mail.example.test");
  assert.equal(uri, "otpauth://totp/mail.example.test%3Aalice%40example.test?secret=ABC&issuer=mail.example.test&algorithm=SHA1&digits=6&period=30");
});
