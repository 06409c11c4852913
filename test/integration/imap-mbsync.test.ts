/**
 * A client nobody here wrote: Debian's isync (mbsync) syncs a 1,000-message INBOX to a
 * local Maildir and back. Flag changes made on either side reach the other, a message
 * written into the Maildir is uploaded (APPEND, UIDPLUS), a new delivery comes down,
 * and a run with nothing changed changes nothing on either side.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { startTestEngine, PASSWORD, type TestEngine } from "../helpers/engine";

const run = promisify(execFile);
const COUNT = 1000;
let t: TestEngine;
let dir: string;
let accountId: string;
let inboxId: string;

const message = (i: number) =>
  Buffer.from(
    [
      `From: Sender ${i % 17} <sender${i % 17}@remote.example>`,
      "To: alice@example.test",
      `Subject: mbsync message ${i}`,
      `Date: ${new Date(Date.UTC(2025, 0, 1) + i * 3600_000).toUTCString().replace("GMT", "+0000")}`,
      `Message-ID: <mbsync.${i}@remote.example>`,
      "",
      `Body of message ${i}.`,
      "x".repeat(200 + (i % 500)),
      "",
    ].join("\r\n"),
  );

before(async () => {
  t = await startTestEngine();
  accountId = (await t.db.account.findUniqueOrThrow({ where: { email: "alice@example.test" } })).id;
  inboxId = (await t.db.mailbox.findUniqueOrThrow({ where: { accountId_name: { accountId, name: "INBOX" } } })).id;
  // Through the store's delivery path, many at a time (the SQLite writer commits them in groups).
  for (let i = 0; i < COUNT; i += 100) {
    await Promise.all(Array.from({ length: 100 }, (_, j) => t.engine.ctx.store.deliver({ raw: message(i + j), queueId: `mbsync${i + j}`, targets: [{ accountId }] })));
  }
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mbsync-test-"));
  fs.mkdirSync(path.join(dir, "mail"));
  fs.writeFileSync(
    path.join(dir, "mbsyncrc"),
    [
      "IMAPAccount suite",
      "Host 127.0.0.1",
      `Port ${t.imapPort}`,
      "User alice@example.test",
      `Pass "${PASSWORD}"`,
      // Loopback: the engine allows a password before TLS from this host (RFC 3501 6.2.3 LOGINDISABLED elsewhere).
      "SSLType None",
      "AuthMechs LOGIN",
      "",
      "IMAPStore remote",
      "Account suite",
      "",
      "MaildirStore local",
      `Path ${dir}/mail/`,
      `Inbox ${dir}/mail/INBOX`,
      "",
      "Channel inbox",
      "Far :remote:",
      "Near :local:",
      "Patterns INBOX",
      "Create Near",
      "Sync All",
      "SyncState *",
      "",
    ].join("\n"),
  );
});
after(async () => {
  await t.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs mbsync (quietly: without a terminal it prints no counters) and returns what it wrote. */
async function mbsync(): Promise<string> {
  const t0 = Date.now();
  const { stdout, stderr } = await run("mbsync", ["-c", path.join(dir, "mbsyncrc"), "inbox"], { timeout: 60_000 });
  if (process.env.TEST_LOG) console.log(`mbsync took ${Date.now() - t0} ms`);
  return stdout + stderr;
}

/** Both sides' state: the Maildir's file names (flags are in the names) and the server's rows and highest MODSEQ. */
async function snapshot(): Promise<string> {
  const rows = await t.db.message.findMany({ where: { accountId, mailboxId: inboxId }, select: { uid: true, modSeq: true } });
  const maxModSeq = rows.reduce((a, r) => (r.modSeq > a ? r.modSeq : a), 0n);
  return JSON.stringify({ files: maildirFiles().map((f) => path.basename(f.file)).sort(), rows: rows.length, maxModSeq: String(maxModSeq) });
}

function maildirFiles(): Array<{ file: string; flags: string }> {
  const out: Array<{ file: string; flags: string }> = [];
  for (const sub of ["new", "cur"]) {
    const d = path.join(dir, "mail", "INBOX", sub);
    for (const f of fs.readdirSync(d)) out.push({ file: path.join(d, f), flags: /:2,([A-Z]*)$/.exec(f)?.[1] ?? "" });
  }
  return out;
}

function localFile(i: number): { file: string; flags: string } {
  // mbsync stores Maildir files with LF line ends.
  const subject = `\nSubject: mbsync message ${i}\n`;
  const found = maildirFiles().filter((f) => fs.readFileSync(f.file, "latin1").includes(subject));
  assert.equal(found.length, 1, `one local file for message ${i}`);
  return found[0];
}

async function serverFlags(i: number) {
  return t.db.message.findFirstOrThrow({ where: { accountId, mailboxId: inboxId, subject: `mbsync message ${i}` }, select: { uid: true, seen: true, flagged: true } });
}

test("mbsync syncs 1,000 messages down, flags both ways, uploads, and a second run is a no-op", { timeout: 120_000 }, async () => {
  await mbsync();
  const files = maildirFiles();
  assert.equal(files.length, COUNT);
  assert.ok(files.every((f) => f.flags === ""), "nothing was seen or flagged yet");
  // The bytes arrive intact (in the Maildir's LF form; X-TUID is mbsync's own tracking field).
  assert.equal(fs.readFileSync(localFile(123).file).toString("latin1").replace(/^X-TUID: .*\n/m, ""), message(123).toString("latin1").replace(/\r\n/g, "\n"));

  const before = await snapshot();
  await mbsync();
  assert.equal(await snapshot(), before, "a second run changes nothing on either side");

  // Server side: \Flagged on message 5 (through the store, as the web app would) reaches the Maildir as F.
  const m5 = await serverFlags(5);
  await t.engine.ctx.store.setFlags({ accountId, mailboxId: inboxId, uids: [m5.uid], mode: "add", flags: ["flagged"] });
  // Local side: message 10 marked seen (S) in the Maildir reaches the server as \Seen.
  const l10 = localFile(10);
  fs.renameSync(l10.file, l10.file.replace(/:2,[A-Z]*$/, ":2,S").replace(`${path.sep}new${path.sep}`, `${path.sep}cur${path.sep}`));
  // A message written into the Maildir is uploaded; one delivered meanwhile comes down.
  const uploaded = message(COUNT + 1).toString("latin1").replace("mbsync message", "mbsync upload");
  fs.writeFileSync(path.join(dir, "mail", "INBOX", "new", `${Date.now()}.test.local`), uploaded);
  await t.engine.ctx.store.deliver({ raw: message(COUNT), queueId: "mbsync-late", targets: [{ accountId }] });

  await mbsync();
  assert.match(localFile(5).flags, /F/);
  assert.equal((await serverFlags(10)).seen, true);
  assert.equal((await serverFlags(11)).seen, false);
  const up = await t.db.message.findFirst({ where: { accountId, mailboxId: inboxId, subject: `mbsync upload ${COUNT + 1}` } });
  assert.ok(up, "the local message was uploaded to the INBOX");
  assert.equal(maildirFiles().length, COUNT + 2);
  assert.equal(await t.db.message.count({ where: { accountId, mailboxId: inboxId } }), COUNT + 2);

  const settled = await snapshot();
  await mbsync();
  assert.equal(await snapshot(), settled, "after the changes, another run changes nothing");
  assert.equal(localFile(COUNT).flags, "", "the late delivery came down");
});
