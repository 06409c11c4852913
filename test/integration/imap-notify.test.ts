/**
 * NOTIFY (RFC 5465): after NOTIFY SET the client is told, with no command in progress, of
 * new and expunged messages and flag changes in watched mailboxes (STATUS), of mailboxes
 * created, renamed and deleted (LIST, OLDNAME, \NonExistent) and of subscriptions (LIST
 * \Subscribed); for the selected mailbox, EXISTS and a FETCH of the attributes asked for.
 * NOTIFY SET STATUS says where each watched mailbox stands; NOTIFY NONE stops it all.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestEngine, type TestEngine } from "../helpers/engine";
import { RawImap, rawSignedIn } from "../helpers/imap";

let t: TestEngine;
let c: RawImap;
let other: RawImap;
const lit = (m: string) => `{${Buffer.byteLength(m)}+}\r\n${m}`;
const WAIT = 15_000;

before(async () => {
  t = await startTestEngine();
  c = await rawSignedIn(t.imapPort, "alice@example.test");
  other = await rawSignedIn(t.imapPort, "alice@example.test");
  for (const box of ["Watched", "Quiet", "Lists", "Lists/Sub"]) assert.equal((await other.command(`CREATE ${box}`)).status, "OK");
  assert.equal((await other.command(`APPEND Watched ${lit("Subject: one\r\n\r\n1\r\n")}`)).status, "OK");
});
after(async () => {
  c.close();
  other.close();
  await t.stop();
});

/** Waits for unsolicited responses on `c` matching `re` (no command sent). */
const unsolicited = (re: RegExp) => c.until((x) => re.test(x), WAIT);

test("NOTIFY SET STATUS: the state of each watched mailbox, items by event; errors", async () => {
  assert.match((await c.command("CAPABILITY")).text, / NOTIFY/);
  const r = await c.command("NOTIFY SET STATUS (mailboxes Watched (MessageNew MessageExpunge)) (subtree Lists (FlagChange))");
  assert.equal(r.status, "OK", r.text);
  assert.match(r.text, /\* STATUS "Watched" \(MESSAGES 1 UIDNEXT 2 UIDVALIDITY \d+\)/);
  assert.match(r.text, /\* STATUS "Lists" \(UIDVALIDITY \d+ HIGHESTMODSEQ \d+\)/);
  assert.match(r.text, /\* STATUS "Lists\/Sub" \(UIDVALIDITY \d+ HIGHESTMODSEQ \d+\)/);
  assert.doesNotMatch(r.text, /STATUS "Quiet"|STATUS "INBOX"/);
  assert.doesNotMatch((await c.command("NOTIFY SET (mailboxes Watched (MessageNew MessageExpunge))")).text, /STATUS/, "no STATUS without the option");
  assert.match((await c.command("NOTIFY SET (personal (AnnotationChange))")).line, /NO \[BADEVENT \(MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange\)\]/);
  assert.equal((await c.command("NOTIFY SET (selected (MailboxName))")).status, "BAD", "SELECTED takes message events only");
  assert.equal((await c.command("NOTIFY SET (personal (MessageNew (UID)))")).status, "BAD", "fetch attributes only for SELECTED");
  assert.equal((await c.command("NOTIFY SET (selected (MessageNew)) (selected-delayed (MessageNew))")).status, "BAD");
  assert.equal((await c.command("NOTIFY SET (elsewhere (MessageNew))")).status, "BAD");
});

test("changes in watched mailboxes arrive between commands as STATUS; unwatched ones do not", async () => {
  assert.equal((await c.command("NOTIFY SET (mailboxes Watched (MessageNew MessageExpunge FlagChange)) (mailboxes Quiet NONE)")).status, "OK");
  assert.equal((await other.command(`APPEND Quiet ${lit("Subject: q\r\n\r\nq\r\n")}`)).status, "OK");
  assert.equal((await other.command(`APPEND Watched ${lit("Subject: two\r\n\r\n2\r\n")}`)).status, "OK");
  const got = await unsolicited(/\* STATUS "Watched" \(MESSAGES 2 UIDNEXT 3[ )]/);
  assert.doesNotMatch(got, /"Quiet"/);
  await other.command("SELECT Watched");
  assert.equal((await other.command("STORE 1 +FLAGS (\\Seen)")).status, "OK");
  await unsolicited(/\* STATUS "Watched" \(UIDVALIDITY \d+ UNSEEN 1\)\r\n/);
  assert.equal((await other.command("STORE 2 +FLAGS (\\Deleted)")).status, "OK");
  assert.equal((await other.command("EXPUNGE")).status, "OK");
  await unsolicited(/\* STATUS "Watched" \(MESSAGES 1 UIDNEXT 3[ )]/);
  await other.command("UNSELECT");
});

test("MailboxName and SubscriptionChange: LIST for created, renamed (OLDNAME) and deleted mailboxes and subscriptions", async () => {
  assert.equal((await c.command("NOTIFY SET (personal (MailboxName SubscriptionChange))")).status, "OK");
  assert.equal((await other.command("CREATE Fresh")).status, "OK");
  await unsolicited(/\* LIST \(\\HasNoChildren\) "\/" "Fresh"\r\n/);
  assert.equal((await other.command("SUBSCRIBE Fresh")).status, "OK");
  await unsolicited(/\* LIST \(\\HasNoChildren \\Subscribed\) "\/" "Fresh"\r\n/);
  assert.equal((await other.command("RENAME Fresh Renamed")).status, "OK");
  await unsolicited(/\* LIST \(\\HasNoChildren \\Subscribed\) "\/" "Renamed" \("OLDNAME" \("Fresh"\)\)\r\n/);
  assert.equal((await other.command("DELETE Renamed")).status, "OK");
  await unsolicited(/\* LIST \(\\NonExistent\) "\/" "Renamed"\r\n/);
});

test("the selected mailbox: EXISTS and a FETCH of the attributes asked for, with no command in progress", async () => {
  assert.equal((await c.command("SELECT INBOX")).status, "OK");
  assert.equal((await c.command("NOTIFY SET (selected (MessageNew (UID BODY.PEEK[HEADER.FIELDS (SUBJECT)]) MessageExpunge FlagChange))")).status, "OK");
  assert.equal((await other.command(`APPEND INBOX ${lit("Subject: pushed\r\n\r\nhi\r\n")}`)).status, "OK");
  const got = await unsolicited(/\* 1 FETCH \(UID 1 BODY\[HEADER\.FIELDS \(SUBJECT\)\] \{\d+\}\r\nSubject: pushed\r\n\r\n\)\r\n/);
  assert.ok(got.indexOf("* 1 EXISTS") >= 0 && got.indexOf("* 1 EXISTS") < got.indexOf("* 1 FETCH"), got);
  // SELECTED (not -DELAYED): an expunge is told at once too.
  await other.command("SELECT INBOX");
  await other.command("STORE 1 +FLAGS.SILENT (\\Deleted)");
  await unsolicited(/\* 1 FETCH \(UID 1 FLAGS \([^)]*\\Deleted[^)]*\)\)\r\n/);
  await other.command("EXPUNGE");
  await unsolicited(/\* 1 EXPUNGE\r\n/);
  await other.command("UNSELECT");
});

test("NOTIFY NONE: nothing more is told, even at the next command", async () => {
  // A second session of the same user watches too: once it has heard of the change, the first one has had its chance.
  const watcher = await rawSignedIn(t.imapPort, "alice@example.test");
  assert.equal((await watcher.command("NOTIFY SET (mailboxes Watched (MessageNew MessageExpunge))")).status, "OK");
  assert.equal((await c.command("NOTIFY NONE")).status, "OK");
  assert.equal((await other.command(`APPEND Watched ${lit("Subject: three\r\n\r\n3\r\n")}`)).status, "OK");
  await watcher.until((x) => /\* STATUS "Watched" \(MESSAGES 2 UIDNEXT 4\)/.test(x), WAIT);
  watcher.close();
  assert.doesNotMatch((await c.command("NOOP")).text, /STATUS/);
});
