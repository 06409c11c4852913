/**
 * Subscriptions outlive folders (RFC 3501 6.3.6): LSUB and LIST (SUBSCRIBED) show a
 * subscribed name without a folder as \NonExistent; plain LIST does not. RECURSIVEMATCH
 * (RFC 5258 3.5) lists a parent for subscribed children its pattern does not reach, with
 * CHILDINFO ("SUBSCRIBED").
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestEngine, type TestEngine } from "../helpers/engine";
import { rawSignedIn } from "../helpers/imap";

let t: TestEngine;
before(async () => {
  t = await startTestEngine();
});
after(() => t.stop());

test("subscriptions of folders that do not exist; RECURSIVEMATCH with CHILDINFO", async () => {
  const c = await rawSignedIn(t.imapPort, "alice@example.test");
  for (const n of ["L/a", "L/b/c", "L/gone"]) assert.equal((await c.command(`CREATE ${n}`)).status, "OK");
  for (const n of ["L/a", "L/b/c", "L/gone", "L/never"]) assert.equal((await c.command(`SUBSCRIBE ${n}`)).status, "OK");
  assert.equal((await c.command("DELETE L/gone")).status, "OK");

  const sub = await c.command(`LIST (SUBSCRIBED) "" "L/*"`);
  assert.match(sub.text, /\* LIST \(\\HasNoChildren \\Subscribed\) "\/" "L\/a"\r\n/);
  assert.match(sub.text, /\* LIST \(\\NonExistent \\HasNoChildren \\Subscribed\) "\/" "L\/gone"\r\n/);
  assert.match(sub.text, /\* LIST \(\\NonExistent \\HasNoChildren \\Subscribed\) "\/" "L\/never"\r\n/);
  assert.doesNotMatch(sub.text, /"L\/b"\r\n/, "L/b is not subscribed");
  const plain = await c.command(`LIST "" "L/*"`);
  assert.doesNotMatch(plain.text, /gone|never/, "plain LIST shows folders only");
  assert.match(plain.text, /"L\/b"\r\n/);
  const lsub = await c.command(`LSUB "" "L/*"`);
  assert.match(lsub.text, /\* LSUB \(\) "\/" "L\/gone"\r\n/);

  const rec = await c.command(`LIST (SUBSCRIBED RECURSIVEMATCH) "" "L/%"`);
  assert.match(rec.text, /\* LIST \(\\HasChildren\) "\/" "L\/b" \("CHILDINFO" \("SUBSCRIBED"\)\)\r\n/);
  assert.match(rec.text, /\* LIST \(\\HasNoChildren \\Subscribed\) "\/" "L\/a"\r\n/);
  const reached = await c.command(`LIST (SUBSCRIBED RECURSIVEMATCH) "" ("L/b" "L/b/c")`);
  assert.doesNotMatch(reached.text, /CHILDINFO/, "the subscribed child is listed itself");
  assert.equal((await c.command(`LIST (RECURSIVEMATCH) "" "*"`)).status, "BAD");

  assert.equal((await c.command("UNSUBSCRIBE L/never")).status, "OK");
  assert.doesNotMatch((await c.command(`LSUB "" "L/*"`)).text, /never/);
  assert.equal((await c.command("CREATE L/gone")).status, "OK");
  assert.match((await c.command(`LIST (SUBSCRIBED) "" "L/gone"`)).text, /\(\\HasNoChildren \\Subscribed\) "\/" "L\/gone"/, "re-created: subscribed again");
  c.close();
});
