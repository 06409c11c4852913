/**
 * Parser fuzzing over a real connection: valid commands, random bytes and mutations
 * of valid commands (fixed seed, bounded count). Every command gets a tagged OK, NO or
 * BAD (or the session says BYE), the server never fails internally (no imap.error
 * log line, no NO [SERVERBUG]), and the session still answers afterwards.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestEngine, PASSWORD, type TestEngine } from "../helpers/engine";
import { RawImap } from "../helpers/imap";

let t: TestEngine;
before(async () => {
  t = await startTestEngine();
});
after(() => t.stop());

/** mulberry32: a small seeded PRNG, so a failure can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const VALID = [
  "NOOP", "CAPABILITY", "CHECK", `LIST "" "*"`, `LIST "" %`, `LIST (SUBSCRIBED) "" "*" RETURN (CHILDREN)`, `LSUB "" "*"`, "NAMESPACE",
  `STATUS INBOX (MESSAGES UNSEEN UIDNEXT UIDVALIDITY RECENT SIZE)`, "SELECT INBOX", "EXAMINE INBOX", "SELECT Fuzz",
  "FETCH 1:* (FLAGS UID INTERNALDATE RFC822.SIZE)", "FETCH 1 (ENVELOPE BODYSTRUCTURE BODY)", "FETCH 1 ALL", "FETCH 1 FULL", "FETCH 1 FAST",
  "FETCH 1 (BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)] BODY.PEEK[1.MIME] BODY.PEEK[TEXT]<0.10>)", "UID FETCH 1:* (BINARY.PEEK[1] BINARY.SIZE[1])",
  "FETCH 1 (RFC822.HEADER RFC822.TEXT)", "UID FETCH 1 (BODY[HEADER.FIELDS.NOT (DATE)])", "STORE 1 +FLAGS (\\Flagged $Fuzz)", "STORE 1 -FLAGS.SILENT (\\Flagged)",
  "UID STORE 1:* FLAGS (\\Seen)", "SEARCH ALL", "SEARCH OR SEEN (UNSEEN FROM x) NOT DELETED", "UID SEARCH CHARSET UTF-8 SUBJECT fuzz SINCE 1-Jan-2020",
  "SEARCH HEADER Subject fuzz LARGER 1 SMALLER 100000 UID 1:*", "SEARCH 1:* KEYWORD $Fuzz", "COPY 1 Fuzz2", "UID COPY 1:* INBOX", "CREATE Fuzz2/sub",
  "RENAME Fuzz2 Fuzz3", "DELETE Fuzz3/sub", "SUBSCRIBE Fuzz", "UNSUBSCRIBE Fuzz", "APPEND Fuzz (\\Seen) {12+}\r\nSubject: a\r\n\r\n", "UNSELECT", "CLOSE",
  "ID (\"name\" \"fuzzer\")", "ID NIL", "ENABLE UTF8=ACCEPT", "UID EXPUNGE 99", "EXPUNGE", "MOVE 1 Fuzz", "UID MOVE 99 INBOX",
  "APPEND Fuzz CATENATE (URL \"/INBOX/;UID=1/;SECTION=HEADER\" TEXT {6+}\r\nhello\r\n)", "APPEND Fuzz CATENATE (URL \"/Fuzz;UIDVALIDITY=1/;UID=1/;PARTIAL=0.10\")",
  "SEARCH RETURN (UPDATE PARTIAL 1:5) ALL", "UID SEARCH RETURN (UPDATE COUNT) UNSEEN", "CANCELUPDATE \"x1\"",
  "NOTIFY SET STATUS (personal (MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange)) (selected (MessageNew (UID FLAGS) MessageExpunge))", "NOTIFY NONE",
];
const PIECES = ["(", ")", "[", "]", "<", ">", '"', "\\", "*", "%", "{", "}", "+", ":", ",", " ", "NIL", "1", "0", "4294967296", "BODY[", "HEADER.FIELDS", "\u00e9", "\u0000", "\t", "~"];

function mutate(r: () => number, s: string): string {
  const chars = [...s];
  const n = 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(r() * (chars.length + 1));
    const op = r();
    if (op < 0.33) chars.splice(at, 1);
    else if (op < 0.66) chars.splice(at, 0, PIECES[Math.floor(r() * PIECES.length)]);
    else chars.splice(at, 1, String.fromCharCode(Math.floor(r() * 128)));
  }
  return chars.join("");
}

function randomLine(r: () => number): string {
  const len = Math.floor(r() * 80);
  let s = "";
  for (let i = 0; i < len; i++) s += String.fromCharCode(32 + Math.floor(r() * 95));
  return s;
}

test("2,000 random and mutated commands: always a tagged answer or BYE, never a server failure", async () => {
  const r = rng(20261202);
  const login = async () => {
    const c = await RawImap.connect(t.imapPort);
    assert.equal((await c.command(`LOGIN alice@example.test "${PASSWORD}"`)).status, "OK");
    return c;
  };
  let c = await login();
  await c.command("CREATE Fuzz");
  c.write("x APPEND Fuzz {40+}\r\nSubject: fuzz\r\nFrom: f@example.test\r\n\r\nbody\r\n\r\n");
  await c.waitTagged("x");
  await c.command("SELECT Fuzz");
  const counts = { OK: 0, NO: 0, BAD: 0, BYE: 0 };
  for (let i = 0; i < 2000; i++) {
    const kind = r();
    let line: string;
    if (kind < 0.3) line = `f${i} ${VALID[Math.floor(r() * VALID.length)]}`;
    else if (kind < 0.9) line = `f${i} ${mutate(r, VALID[Math.floor(r() * VALID.length)])}`;
    else line = randomLine(r);
    // A mutated literal announcement would make the server wait for bytes that never come.
    if (kind >= 0.3) line = line.replace(/[{}\r\n]/g, "x");
    c.write(line + "\r\n");
    // The answer ends with a tagged line (the tag as the server read it), or an untagged BAD / BYE;
    // NOTIFY (in VALID) may add unsolicited responses after it at any time.
    const final = /(?:^|\r\n)(?:([^*+\s]\S*) (OK|NO|BAD)|\* (BAD|BYE))[^\r\n]*\r\n(?:\* [^\r\n]*\r\n)*$/;
    const cont = /(?:^|\r\n)\+ [^\r\n]*\r\n$/;
    let text = "";
    for (;;) {
      text += await c.until((x) => final.test(x) || cont.test(x) || c.closed, 5000);
      if (cont.test(text)) {
        // AUTHENTICATE or IDLE started by a mutation: cancel it.
        c.write(/idling/.test(text) ? "DONE\r\n" : "*\r\n");
        continue;
      }
      break;
    }
    const m = final.exec(text);
    if (m && m[2]) counts[m[2] as "OK"]++;
    else if ((m && m[3] === "BYE") || c.closed) {
      counts.BYE++;
      c.close();
      c = await login();
      await c.command("SELECT Fuzz");
    } else if (m && m[3] === "BAD") counts.BAD++;
    else assert.fail(`no answer to ${JSON.stringify(line)}: ${JSON.stringify(text)}`);
    assert.doesNotMatch(text, /SERVERBUG/, `server failure on ${JSON.stringify(line)}`);
  }
  assert.equal((await c.command("NOOP")).status, "OK");
  c.close();
  const failures = t.logs.filter((l) => l.event === "imap.error");
  assert.deepEqual(failures, [], "no internal failures");
  assert.ok(counts.OK > 100 && counts.BAD > 500, JSON.stringify(counts));
});
