/**
 * QRESYNC (RFC 7162 3.2): ENABLE QRESYNC, SELECT (QRESYNC ...) with VANISHED (EARLIER)
 * and changed flags, VANISHED instead of EXPUNGE, UID FETCH (CHANGEDSINCE n VANISHED),
 * [CLOSED], and the conservative answer once old expunges are no longer kept.
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

const signIn = () => rawSignedIn(t.imapPort, "alice@example.test");

test("QRESYNC: resynchronising SELECT, VANISHED, UID FETCH VANISHED, [CLOSED], retention", async () => {
  const a = await signIn();
  assert.match((await a.command("CAPABILITY")).text, / QRESYNC/);
  assert.equal((await a.command("CREATE Q")).status, "OK");
  for (let i = 1; i <= 5; i++) {
    const m = `Subject: q${i}\r\n\r\n${i}\r\n`;
    assert.equal((await a.command(`APPEND Q {${m.length}+}\r\n${m}`)).status, "OK");
  }
  assert.equal((await a.command("SELECT Q (QRESYNC (1 1))")).status, "BAD", "QRESYNC must be enabled first");
  assert.match((await a.command("ENABLE QRESYNC")).text, /\* ENABLED QRESYNC\r\n/);
  const sel = await a.command("SELECT Q");
  const uidValidity = /UIDVALIDITY (\d+)/.exec(sel.text)![1];
  const h = /HIGHESTMODSEQ (\d+)/.exec(sel.text)![1];

  // Another session changes a flag and expunges message 3.
  const b = await signIn();
  await b.command("SELECT Q");
  await b.command("STORE 2 +FLAGS (\\Seen)");
  await b.command("STORE 3 +FLAGS (\\Deleted)");
  assert.equal((await b.command("EXPUNGE")).status, "OK");
  const noop = await a.command("NOOP");
  assert.match(noop.text, /\* VANISHED 3\r\n/, "VANISHED, not EXPUNGE, once QRESYNC is on");
  assert.doesNotMatch(noop.text, /EXPUNGE\r\n/);
  assert.match(noop.text, /\* 2 FETCH \(UID 2 FLAGS \([^)]*\\Seen\) MODSEQ \(\d+\)\)/);

  // A client that was away resynchronises.
  const c = await signIn();
  await c.command("ENABLE QRESYNC");
  const re = await c.command(`SELECT Q (QRESYNC (${uidValidity} ${h}))`);
  assert.equal(re.status, "OK", re.text);
  assert.match(re.text, /\* 2 FETCH \(UID 2 FLAGS \([^)]*\\Seen\) MODSEQ \(\d+\)\)\r\n/);
  assert.match(re.text, /\* VANISHED \(EARLIER\) 3\r\n/);
  assert.equal((re.text.match(/FETCH/g) ?? []).length, 1, "only the changed message");
  // Known UIDs limit the report; [CLOSED] says the previous selection ended.
  const known = await c.command(`SELECT Q (QRESYNC (${uidValidity} ${h} 4:5))`);
  assert.match(known.text, /^\* OK \[CLOSED\]/);
  assert.doesNotMatch(known.text, /VANISHED|FETCH/);
  // Another UIDVALIDITY: no resynchronisation data, the client starts over.
  assert.doesNotMatch((await c.command(`SELECT Q (QRESYNC (${Number(uidValidity) + 1} ${h}))`)).text, /VANISHED|FETCH/);

  const f = await c.command(`UID FETCH 1:* (FLAGS) (CHANGEDSINCE ${h} VANISHED)`);
  assert.match(f.text, /\* VANISHED \(EARLIER\) 3\r\n\* 2 FETCH \(UID 2 FLAGS \([^)]*\) MODSEQ \(\d+\)\)\r\n/);
  assert.equal((await c.command(`FETCH 1:* (FLAGS) (CHANGEDSINCE ${h} VANISHED)`)).status, "BAD", "VANISHED is for UID FETCH");

  // Retention: the kept expunges are dropped; a client from before is answered conservatively.
  assert.equal(await t.engine.ctx.store.run("pruneVanished", { before: new Date(Date.now() + 60_000) }), 1);
  const mb = await t.db.mailbox.findFirstOrThrow({ where: { name: "Q", account: { email: "alice@example.test" } } });
  assert.ok(mb.vanishedFloor > BigInt(h));
  const old = await c.command(`SELECT Q (QRESYNC (${uidValidity} 1 1:100))`);
  assert.match(old.text, /\* VANISHED \(EARLIER\) 3\r\n/, "every UID below UIDNEXT of the known ones that is gone");
  const later = await c.command(`SELECT Q (QRESYNC (${uidValidity} ${mb.vanishedFloor}))`);
  assert.doesNotMatch(later.text, /VANISHED/, "from the floor on the exact list applies");
  for (const x of [a, b, c]) x.close();
});
