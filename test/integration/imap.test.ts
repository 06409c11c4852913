/**
 * The IMAP server driven by imapflow (and by exact bytes where a client library would
 * hide the answer): sign-in and its refusals, folders with special-use, SELECT/STATUS
 * counts, APPEND with APPENDUID, FETCH of a real multipart message delivered over SMTP
 * (compared with what mailparser says about the same bytes), STORE with keywords,
 * COPY/MOVE with COPYUID, EXPUNGE, IDLE push from SMTP and from another session, two
 * sessions seeing each other's expunges, and one user never reaching another's folders.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import nodemailer from "nodemailer";
import { simpleParser } from "mailparser";
import type { ImapFlow } from "imapflow";
import { startTestEngine, PASSWORD, type TestEngine } from "../helpers/engine";
import { imapflow, RawImap } from "../helpers/imap";

let t: TestEngine;
before(async () => {
  t = await startTestEngine();
});
after(() => t.stop());

const ALICE = "alice@example.test";
const BOB = "bob@example.test";

async function deliver(to: string, subject: string, extra: Partial<nodemailer.SendMailOptions> = {}): Promise<void> {
  const tr = nodemailer.createTransport({ host: "127.0.0.1", port: t.mxPort, secure: false, ignoreTLS: true, tls: { rejectUnauthorized: false } });
  await tr.sendMail({ from: "Carol Sender <carol@remote.example>", to, subject, text: `body of ${subject}`, ...extra });
  tr.close();
}

async function withClient<T>(user: string, fn: (c: ImapFlow) => Promise<T>, opts: { secure?: boolean } = {}): Promise<T> {
  const c = await imapflow(opts.secure ? t.imapsPort : t.imapPort, user, opts);
  try {
    return await fn(c);
  } finally {
    await c.logout().catch(() => c.close());
  }
}

test("greeting and CAPABILITY; LOGIN with a wrong password is NO [AUTHENTICATIONFAILED]; right one over STARTTLS and IMAPS", async () => {
  const c = await RawImap.connect(t.imapPort);
  const cap = await c.command("CAPABILITY");
  assert.match(cap.text, /\* CAPABILITY IMAP4rev1 .*STARTTLS.*AUTH=PLAIN/);
  assert.match(cap.text, /IDLE/);
  assert.match(cap.text, /UIDPLUS/);
  const wrong = await c.command(`LOGIN ${ALICE} "wrong password"`);
  assert.equal(wrong.status, "NO");
  assert.match(wrong.line, /\[AUTHENTICATIONFAILED\]/);
  assert.equal((await c.command("SELECT INBOX")).status, "BAD", "SELECT before sign-in is refused");
  const ok = await c.command(`LOGIN ${ALICE} "${PASSWORD}"`);
  assert.equal(ok.status, "OK");
  assert.equal((await c.command("LOGIN x y")).status, "BAD", "LOGIN twice is not valid once authenticated");
  await c.command("LOGOUT");
  c.close();
  assert.ok(t.logs.some((l) => l.event === "imap.login" && l.user === ALICE && typeof l.cid === "string"));
  assert.ok(t.logs.some((l) => l.event === "imap.login_failed" && typeof l.cid === "string"));

  await withClient(ALICE, async (f) => {
    assert.equal(f.secureConnection, true, "imapflow upgraded with STARTTLS");
    assert.ok(f.usable);
  });
  await withClient(ALICE, async (f) => assert.ok(f.usable), { secure: true });
});

test("AUTHENTICATE PLAIN, with the initial response and with a continuation", async () => {
  const c = await RawImap.connect(t.imapPort);
  const b64 = Buffer.from(`\0${BOB}\0${PASSWORD}`).toString("base64");
  assert.equal((await c.command(`AUTHENTICATE PLAIN ${b64}`)).status, "OK");
  c.close();
  const d = await RawImap.connect(t.imapPort);
  d.write("a1 AUTHENTICATE PLAIN\r\n");
  await d.until((x) => x.startsWith("+"));
  d.write(Buffer.from(`\0${BOB}\0nope`).toString("base64") + "\r\n");
  const r = await d.waitTagged("a1");
  assert.equal(r.status, "NO");
  assert.match(r.line, /AUTHENTICATIONFAILED/);
  d.close();
});

test("no password before TLS from another address: LOGINDISABLED, LOGIN refused, then fine after STARTTLS", async () => {
  const c = await RawImap.connect(t.imapPort, { localAddress: "127.0.0.2" });
  const cap = await c.command("CAPABILITY");
  assert.match(cap.text, /LOGINDISABLED/);
  assert.doesNotMatch(cap.text, /AUTH=PLAIN/);
  const r = await c.command(`LOGIN ${ALICE} "${PASSWORD}"`);
  assert.equal(r.status, "NO");
  assert.match(r.line, /PRIVACYREQUIRED/);
  const b64 = Buffer.from(`\0${ALICE}\0${PASSWORD}`).toString("base64");
  assert.equal((await c.command(`AUTHENTICATE PLAIN ${b64}`)).status, "NO");
  await c.starttls();
  const cap2 = await c.command("CAPABILITY");
  assert.doesNotMatch(cap2.text, /LOGINDISABLED|STARTTLS/);
  assert.match(cap2.text, /AUTH=PLAIN/);
  assert.equal((await c.command(`LOGIN ${ALICE} "${PASSWORD}"`)).status, "OK");
  c.close();
});

test("LIST shows special-use folders; CREATE (with parents), RENAME, DELETE, SUBSCRIBE; LIST patterns", async () => {
  await withClient(ALICE, async (f) => {
    const boxes = await f.list();
    const byPath = new Map(boxes.map((b) => [b.path, b]));
    for (const [name, use] of [["Sent", "\\Sent"], ["Drafts", "\\Drafts"], ["Trash", "\\Trash"], ["Junk", "\\Junk"], ["Archive", "\\Archive"]]) {
      assert.ok(byPath.get(name)?.flags.has(use), `${name} has ${use}`);
    }
    assert.ok(byPath.has("INBOX"));
    await f.mailboxCreate("Projects/2026/Q4");
    await f.mailboxCreate("Résumés");
    let names = (await f.list()).map((b) => b.path);
    assert.ok(names.includes("Projects") && names.includes("Projects/2026") && names.includes("Projects/2026/Q4"));
    assert.ok(names.includes("Résumés"), "a Unicode name round-trips (modified UTF-7)");
    const parent = (await f.list()).find((b) => b.path === "Projects")!;
    assert.ok(parent.flags.has("\\HasChildren"));
    await f.mailboxRename("Projects", "Work");
    names = (await f.list()).map((b) => b.path);
    assert.ok(names.includes("Work/2026/Q4") && !names.includes("Projects"));
    await assert.rejects(() => f.mailboxDelete("Work"), "a folder with children cannot be deleted");
    await f.mailboxDelete("Work/2026/Q4");
    await f.mailboxUnsubscribe("Work/2026");
    const sub = await f.listTree();
    assert.ok(sub);
  });
  const c = await RawImap.connect(t.imapPort);
  await c.command(`LOGIN ${ALICE} "${PASSWORD}"`);
  const root = await c.command(`LIST "" ""`);
  assert.match(root.text, /\* LIST \(\\Noselect\) "\/" ""/);
  const pct = await c.command(`LIST "" "%"`);
  assert.match(pct.text, /"Work"/);
  assert.doesNotMatch(pct.text, /"Work\/2026"/, "% does not match the separator");
  const lsub = await c.command(`LSUB "" "*"`);
  assert.doesNotMatch(lsub.text, /"Work\/2026"/, "unsubscribed folders are not in LSUB");
  assert.equal((await c.command(`CREATE "Unsubscribed new"`)).status, "OK");
  assert.doesNotMatch((await c.command(`LSUB "" "*"`)).text, /Unsubscribed new/, "CREATE does not subscribe (RFC 3501 6.3.3)");
  assert.match(lsub.text, /\* LSUB \(\) "\/" "INBOX"/);
  assert.equal((await c.command(`SUBSCRIBE "Work/2026"`)).status, "OK");
  const pctSub = await c.command(`LSUB "" "%"`);
  assert.match(pctSub.text, /\* LSUB \(\\Noselect\) "\/" "Work"/, "the level above a subscribed folder % does not reach (RFC 3501 6.3.9)");
  assert.match((await c.command(`LSUB "" "*"`)).text, /\* LSUB \(\) "\/" "Work\/2026"/);
  const ext = await c.command(`LIST (SPECIAL-USE) "" "*"`);
  assert.equal((ext.text.match(/^\* LIST/gm) ?? []).length, 5, "LIST (SPECIAL-USE) lists the five special-use folders");
  const inbox = await c.command(`LIST "" "inbox"`);
  assert.match(inbox.text, /"INBOX"/, "INBOX matches in any case");
  assert.equal((await c.command(`CREATE inbox`)).status, "NO");
  const tc = await c.command(`DELETE "No such"`);
  assert.equal(tc.status, "NO");
  c.close();
});

test("APPEND with flags and date gives APPENDUID; SELECT and STATUS count from the folder's counters", async () => {
  await withClient(ALICE, async (f) => {
    await f.mailboxCreate("Counted");
    const when = new Date("2026-11-30T08:00:00Z");
    const r1 = await f.append("Counted", "Subject: one\r\nFrom: a@example.test\r\n\r\nfirst\r\n", ["\\Seen", "$Important"], when);
    const r2 = await f.append("Counted", "Subject: two\r\nFrom: a@example.test\r\n\r\nsecond\r\n");
    assert.ok(r1 && r2);
    assert.equal(r1.uid, 1);
    assert.equal(r2.uid, 2);
    assert.equal(r1.uidValidity, r2.uidValidity);
    const st = await f.status("Counted", { messages: true, unseen: true, uidNext: true, uidValidity: true, recent: true });
    assert.equal(st.messages, 2);
    assert.equal(st.unseen, 1);
    assert.equal(st.uidNext, 3);
    assert.equal(String(st.uidValidity), String(r1.uidValidity));
    const mb = await f.mailboxOpen("Counted");
    assert.equal(mb.exists, 2);
    assert.equal(mb.uidNext, 3);
    assert.ok(mb.permanentFlags?.has("\\*"));
    const m = await f.fetchOne("1", { flags: true, internalDate: true, size: true });
    assert.ok(m && m.flags?.has("\\Seen") && m.flags.has("$Important"));
    assert.equal((m.internalDate as Date).toISOString(), when.toISOString());
    await assert.rejects(() => f.append("Nowhere", "Subject: x\r\n\r\nx\r\n"));
  });
  const c = await RawImap.connect(t.imapPort);
  await c.command(`LOGIN ${ALICE} "${PASSWORD}"`);
  c.write("a1 APPEND Nowhere {11+}\r\nSubject: x\r\n\r\n");
  const r = await c.waitTagged("a1");
  assert.match(r.line, /NO \[TRYCREATE\]/);
  const st = await c.command("STATUS Counted (MESSAGES UNSEEN UIDNEXT UIDVALIDITY RECENT SIZE)");
  assert.match(st.text, /\* STATUS "Counted" \(MESSAGES 2 UNSEEN 1 UIDNEXT 3 UIDVALIDITY \d+ RECENT \d SIZE \d+\)/);
  c.close();
});

test("APPEND over quota is NO [OVERQUOTA]", async () => {
  await t.db.account.update({ where: { email: BOB }, data: { quotaBytes: 100 } });
  try {
    const c = await RawImap.connect(t.imapPort);
    await c.command(`LOGIN ${BOB} "${PASSWORD}"`);
    const body = "Subject: big\r\n\r\n" + "x".repeat(300) + "\r\n";
    c.write(`a1 APPEND INBOX {${body.length}+}\r\n${body}\r\n`);
    const r = await c.waitTagged("a1");
    assert.match(r.line, /NO \[OVERQUOTA\]/);
    c.close();
  } finally {
    await t.db.account.update({ where: { email: BOB }, data: { quotaBytes: 0 } });
  }
});

test("FETCH of a multipart message delivered over SMTP: envelope, bodystructure and sections agree with mailparser", async () => {
  const png = Buffer.from("89504e470d0a1a0a0000000d4948445200000001000000010806000000", "hex");
  await deliver(ALICE, "Multipart report", {
    cc: "Dave <dave@example.test>",
    html: "<p>Hello <b>Alice</b></p>",
    attachments: [{ filename: "pixel.png", content: png, contentType: "image/png" }],
    headers: { "X-Custom": "custom value" },
  });
  await withClient(ALICE, async (f) => {
    await f.mailboxOpen("INBOX");
    const uids = await f.search({ subject: "Multipart report" }, { uid: true });
    assert.equal((uids as number[]).length, 1);
    const uid = (uids as number[])[0];
    const m = await f.fetchOne(String(uid), { uid: true, envelope: true, bodyStructure: true, source: true, size: true }, { uid: true });
    assert.ok(m && m.source && m.envelope && m.bodyStructure);
    const parsed = await simpleParser(m.source);
    assert.equal(m.size, m.source.length);
    assert.equal(m.envelope.subject, parsed.subject);
    assert.equal(m.envelope.from?.[0].address, "carol@remote.example");
    assert.equal(m.envelope.from?.[0].name, "Carol Sender");
    assert.equal(m.envelope.cc?.[0].address, "dave@example.test");
    assert.equal(m.envelope.messageId, parsed.messageId);
    assert.equal(m.envelope.date?.toISOString(), parsed.date?.toISOString());
    // multipart/mixed (multipart/alternative (text/plain, text/html), image/png)
    const bs = m.bodyStructure;
    assert.equal(bs.type, "multipart/mixed");
    const leaves: Array<{ part: string; type: string; node: typeof bs }> = [];
    const walk = (n: typeof bs) => {
      if (n.childNodes) n.childNodes.forEach(walk);
      else leaves.push({ part: n.part ?? "1", type: n.type, node: n });
    };
    walk(bs);
    assert.deepEqual(leaves.map((l) => l.type), ["text/plain", "text/html", "image/png"]);
    const att = leaves[2];
    assert.equal(att.node.dispositionParameters?.filename, parsed.attachments[0].filename);
    // numbered sections, decoded by imapflow, equal mailparser's parts
    const parts = await f.fetchOne(String(uid), { bodyParts: leaves.map((l) => l.part) }, { uid: true });
    assert.ok(parts && parts.bodyParts);
    const text = parts.bodyParts.get(leaves[0].part)!.toString();
    assert.equal(text.replace(/\r\n/g, "\n").trim(), (parsed.text ?? "").trim());
    const html = parts.bodyParts.get(leaves[1].part)!.toString();
    assert.match(html, /Hello/);
    const dl = await f.download(String(uid), att.part, { uid: true });
    const chunks: Buffer[] = [];
    for await (const ch of dl.content) chunks.push(ch as Buffer);
    assert.deepEqual(Buffer.concat(chunks), parsed.attachments[0].content);
  });
  // exact forms over a raw socket: HEADER.FIELDS, partial, MIME, TEXT, BINARY, PEEK keeps \Seen off
  const c = await RawImap.connect(t.imapPort);
  await c.command(`LOGIN ${ALICE} "${PASSWORD}"`);
  await c.command("SELECT INBOX");
  const s = await c.command(`UID SEARCH SUBJECT "Multipart report"`);
  const uid = Number(/\* SEARCH (\d+)/.exec(s.text)![1]);
  const hf = await c.command(`UID FETCH ${uid} (BODY.PEEK[HEADER.FIELDS (Subject X-Custom)])`);
  // the fields in the message's order, then the blank line
  assert.match(hf.text, /BODY\[HEADER\.FIELDS \(SUBJECT X-CUSTOM\)\] \{\d+\}\r\nX-Custom: custom value\r\nSubject: Multipart report\r\n\r\n\)/);
  const not = await c.command(`UID FETCH ${uid} (BODY.PEEK[HEADER.FIELDS.NOT (Subject)])`);
  assert.doesNotMatch(not.text, /Subject:/);
  assert.match(not.text, /X-Custom: custom value/);
  const partial = await c.command(`UID FETCH ${uid} (BODY.PEEK[]<0.10>)`);
  assert.match(partial.text, /BODY\[\]<0> \{10\}\r\nReturn-Pat\)/);
  const mime = await c.command(`UID FETCH ${uid} (BODY.PEEK[2.MIME])`);
  assert.match(mime.text, /Content-Type: image\/png/);
  const bin = await c.command(`UID FETCH ${uid} (BINARY.SIZE[2] BINARY.PEEK[2])`);
  assert.match(bin.text, new RegExp(`BINARY.SIZE\\[2\\] ${png.length}`));
  assert.ok(bin.text.includes(png.toString("latin1")), "BINARY returns the decoded bytes");
  const flags = await c.command(`UID FETCH ${uid} (FLAGS)`);
  assert.doesNotMatch(flags.text, /\\Seen/, "PEEK does not set \\Seen");
  const body = await c.command(`UID FETCH ${uid} (BODY[TEXT])`);
  assert.match(body.text, /FLAGS \([^)]*\\Seen/, "BODY[] sets \\Seen and says so");
  const rfc = await c.command(`UID FETCH ${uid} (RFC822.HEADER RFC822.SIZE)`);
  assert.match(rfc.text, /RFC822\.HEADER \{\d+\}\r\nReturn-Path/);
  const none = await c.command(`UID FETCH ${uid} (BODY.PEEK[9])`);
  assert.match(none.text, /BODY\[9\] ""/);
  c.close();
});

test("STORE flags and keywords; COPY and MOVE give COPYUID; EXPUNGE and UID EXPUNGE", async () => {
  await withClient(ALICE, async (f) => {
    await f.mailboxCreate("Src");
    await f.mailboxCreate("Dst");
    for (let i = 1; i <= 5; i++) await f.append("Src", `Subject: m${i}\r\nFrom: a@example.test\r\n\r\n${i}\r\n`);
    await f.mailboxOpen("Src");
    assert.equal(await f.messageFlagsAdd("1:2", ["\\Flagged", "$Work"]), true);
    await f.messageFlagsRemove("2", ["$Work"]);
    const flags = new Map<number, Set<string>>();
    // \Recent is this session's (it selected the folder first): not a stored flag.
    for await (const m of f.fetch("1:*", { uid: true, flags: true })) flags.set(m.uid, new Set([...m.flags!].filter((x) => x !== "\\Recent")));
    assert.deepEqual([...flags.get(1)!].sort(), ["$Work", "\\Flagged"]);
    assert.deepEqual([...flags.get(2)!].sort(), ["\\Flagged"]);
    await f.messageFlagsSet("3", ["\\Answered"]);
    const m3 = await f.fetchOne("3", { flags: true });
    assert.ok(m3);
    assert.deepEqual([...m3.flags!].filter((x) => x !== "\\Recent"), ["\\Answered"]);
    const kwSearch = await f.search({ keyword: "$Work" }, { uid: true });
    assert.deepEqual(kwSearch, [1]);

    const copied = await f.messageCopy("1:2", "Dst", { uid: true });
    assert.ok(copied && copied.uidMap);
    assert.deepEqual([...copied.uidMap.entries()], [[1, 1], [2, 2]]);
    const moved = await f.messageMove("3", "Dst", { uid: true });
    assert.ok(moved && moved.uidMap);
    assert.deepEqual([...moved.uidMap.entries()], [[3, 3]]);
    assert.equal(f.mailbox && typeof f.mailbox === "object" ? f.mailbox.exists : -1, 4, "MOVE expunges from the source");

    await f.messageFlagsAdd("4:5", ["\\Deleted"], { uid: true });
    await f.messageDelete("4", { uid: true }); // UID EXPUNGE 4 (imapflow marks \Deleted then UID EXPUNGE)
    const left: number[] = [];
    for await (const m of f.fetch("1:*", { uid: true })) left.push(m.uid);
    assert.deepEqual(left, [1, 2, 5], "UID EXPUNGE removes only the UIDs named");
    const st = await f.status("Dst", { messages: true });
    assert.equal(st.messages, 3);
    await f.mailboxOpen("Dst");
    const dflags = await f.fetchOne("1", { flags: true });
    assert.ok(dflags && dflags.flags!.has("$Work"), "keywords travel with a copy");
  });
  const c = await RawImap.connect(t.imapPort);
  await c.command(`LOGIN ${ALICE} "${PASSWORD}"`);
  await c.command("SELECT Src");
  const ex = await c.command("EXPUNGE");
  assert.match(ex.text, /\* 3 EXPUNGE/, "the \\Deleted message 5 (now number 3) is expunged");
  const cp = await c.command("COPY 1 Nowhere");
  assert.match(cp.line, /NO \[TRYCREATE\]/);
  await c.command("EXAMINE Src");
  assert.match((await c.command("STORE 1 +FLAGS (\\Seen)")).line, /NO/);
  c.close();
});

test("IDLE is told of a message delivered over SMTP and of a flag change by another session within a second", async () => {
  const watcher = await imapflow(t.imapPort, BOB);
  const actor = await imapflow(t.imapPort, BOB);
  try {
    await watcher.mailboxOpen("INBOX");
    await actor.mailboxOpen("INBOX");
    const events: Array<{ at: number; kind: string; data: unknown }> = [];
    watcher.on("exists", (d) => events.push({ at: Date.now(), kind: "exists", data: d }));
    watcher.on("flags", (d) => events.push({ at: Date.now(), kind: "flags", data: d }));
    const idling = watcher.idle();
    await new Promise((r) => setTimeout(r, 200));
    const sent = Date.now();
    await deliver(BOB, "pushed");
    const deadline = Date.now() + 3000;
    while (!events.some((e) => e.kind === "exists") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const ex = events.find((e) => e.kind === "exists");
    assert.ok(ex, "EXISTS arrived");
    assert.ok(ex.at - sent < 1000, `EXISTS within a second (took ${ex.at - sent} ms)`);

    await actor.noop(); // the actor learns of the new message
    const changed = Date.now();
    await actor.messageFlagsAdd("*", ["\\Flagged"]);
    while (!events.some((e) => e.kind === "flags") && Date.now() < changed + 3000) await new Promise((r) => setTimeout(r, 20));
    const fl = events.find((e) => e.kind === "flags");
    assert.ok(fl, "FETCH FLAGS arrived");
    assert.ok(fl.at - changed < 1000, `FLAGS within a second (took ${fl.at - changed} ms)`);
    assert.ok((fl.data as { flags: Set<string> }).flags.has("\\Flagged"));
    void idling;
  } finally {
    await watcher.logout().catch(() => undefined);
    await actor.logout().catch(() => undefined);
  }
});

test("two sessions on one mailbox see each other's expunges; none during FETCH", async () => {
  await withClient(BOB, async (f) => {
    await f.mailboxCreate("Shared");
    for (let i = 1; i <= 3; i++) await f.append("Shared", `Subject: s${i}\r\n\r\n${i}\r\n`);
  });
  const a = await RawImap.connect(t.imapPort);
  const b = await RawImap.connect(t.imapPort);
  await a.command(`LOGIN ${BOB} "${PASSWORD}"`);
  await b.command(`LOGIN ${BOB} "${PASSWORD}"`);
  await a.command("SELECT Shared");
  await b.command("SELECT Shared");
  await a.command("STORE 2 +FLAGS.SILENT (\\Deleted)");
  const ex = await a.command("EXPUNGE");
  assert.match(ex.text, /\* 2 EXPUNGE/);
  // b is not told during FETCH (its numbers must hold) but is on NOOP
  const fetch = await b.command("FETCH 1:3 (UID)");
  assert.doesNotMatch(fetch.text, /EXPUNGE/);
  assert.match(fetch.text, /\* 3 FETCH \(UID 3\)/, "message 3 keeps its number until the expunge is told");
  const noop = await b.command("NOOP");
  assert.match(noop.text, /\* 2 EXPUNGE/);
  const after = await b.command("FETCH 1:* (UID)");
  assert.match(after.text, /\* 2 FETCH \(UID 3\)/);
  // and the other way round, with an append
  a.write("i1 IDLE\r\n");
  await a.until((x) => x.includes("+ idling"));
  await b.command("STORE 1 +FLAGS.SILENT (\\Deleted)");
  await b.command("EXPUNGE");
  const told = await a.until((x) => /\* 1 EXPUNGE/.test(x), 3000);
  assert.match(told, /\* 1 EXPUNGE/);
  a.write("DONE\r\n");
  assert.equal((await a.waitTagged("i1")).status, "OK");
  a.close();
  b.close();
});

test("bob never reaches alice's folders, by any name", async () => {
  await withClient(ALICE, async (f) => {
    await f.mailboxCreate("Private");
    await f.append("Private", "Subject: secret\r\n\r\nfor alice only\r\n");
  });
  const c = await RawImap.connect(t.imapPort);
  await c.command(`LOGIN ${BOB} "${PASSWORD}"`);
  const list = await c.command(`LIST "" "*"`);
  assert.doesNotMatch(list.text, /Private/);
  for (const name of ["Private", "alice@example.test/Private", "../alice/Private", "/Private", "~alice/Private", "#shared/Private", "Other Users/alice/Private"]) {
    const sel = await c.command(`SELECT "${name}"`);
    assert.equal(sel.status, "NO", `SELECT ${name}`);
    assert.equal((await c.command(`STATUS "${name}" (MESSAGES)`)).status, "NO", `STATUS ${name}`);
  }
  await c.command("SELECT INBOX");
  const cp = await c.command("COPY 1:* Private");
  assert.notEqual(cp.status, "OK", "COPY into alice's folder name is refused (bob has none of that name)");
  const s = await c.command("SEARCH TEXT secret");
  assert.match(s.text, /\* SEARCH\r\n/);
  assert.equal((await c.command("RENAME Private Mine")).status, "NO");
  assert.equal((await c.command("DELETE Private")).status, "NO");
  c.close();
  await withClient(ALICE, async (f) => {
    assert.equal((await f.status("Private", { messages: true })).messages, 1);
  });
});

test("bad input gets BAD with a reason and the session goes on; unknown commands; limits", async () => {
  const c = await RawImap.connect(t.imapPort);
  for (const line of ["a1 FROB", "a2 LOGIN", 'a3 LOGIN "unterminated', "a4 LIST (", "a5 NOOP extra", "(bad tag"]) {
    c.write(line + "\r\n");
  }
  const out = await c.until((x) => /a5 BAD/.test(x) && /\* BAD/.test(x));
  for (const tag of ["a1", "a2", "a3", "a4", "a5"]) assert.match(out, new RegExp(`${tag} BAD \\S`), tag);
  c.write("b1 LOGIN {99999999999}\r\n");
  assert.match((await c.waitTagged("b1")).line, /BAD/);
  c.write(`b2 NOOP ${"x".repeat(70_000)}\r\n`);
  assert.match((await c.waitTagged("b2")).line, /BAD .*longer/);
  c.write("b3 LOGIN {9000+}\r\n" + "y".repeat(9000) + " z\r\n");
  assert.match((await c.waitTagged("b3")).line, /BAD .*literal larger/, "before sign-in a LITERAL+ over 8 KiB is refused and its bytes skipped");
  assert.equal((await c.command("NOOP")).status, "OK", "the session goes on");
  c.close();
});

test("ESEARCH (RFC 4731), LIST-STATUS (RFC 5819) and QUOTA (RFC 9208)", async () => {
  await withClient(BOB, async (f) => {
    await f.mailboxCreate("Esearch");
    for (let i = 1; i <= 4; i++) await f.append("Esearch", `Subject: e${i}\r\n\r\n${i}\r\n`, i % 2 ? ["\\Seen"] : []);
  });
  await t.db.account.update({ where: { email: BOB }, data: { quotaBytes: 10 * 1024 * 1024 } });
  const c = await RawImap.connect(t.imapPort);
  await c.command(`LOGIN ${BOB} "${PASSWORD}"`);
  await c.command("SELECT Esearch");
  const es = await c.command("UID SEARCH RETURN (MIN MAX COUNT ALL) SEEN");
  assert.match(es.text, /\* ESEARCH \(TAG "t3"\) UID MIN 1 MAX 3 ALL 1,3 COUNT 2\r\n/);
  const none = await c.command("SEARCH RETURN (COUNT) KEYWORD $Nope");
  assert.match(none.text, /\* ESEARCH \(TAG "t4"\) COUNT 0\r\n/);
  const ls = await c.command(`LIST "" "Esearch" RETURN (STATUS (MESSAGES UNSEEN))`);
  assert.match(ls.text, /\* LIST \(\\HasNoChildren\) "\/" "Esearch"\r\n\* STATUS "Esearch" \(MESSAGES 4 UNSEEN 2\)/);
  const q = await c.command("GETQUOTAROOT INBOX");
  assert.match(q.text, /\* QUOTAROOT "INBOX" ""\r\n\* QUOTA "" \(STORAGE \d+ 10240\)/);
  assert.equal((await c.command(`SETQUOTA "" (STORAGE 1)`)).status, "NO");
  c.close();
  await t.db.account.update({ where: { email: BOB }, data: { quotaBytes: 0 } });
});

test("CONDSTORE (RFC 7162): SELECT (CONDSTORE), FETCH CHANGEDSINCE, STORE UNCHANGEDSINCE, SEARCH MODSEQ, MODSEQ in updates", async () => {
  await withClient(BOB, async (f) => {
    await f.mailboxCreate("Cond");
    for (let i = 1; i <= 3; i++) await f.append("Cond", `Subject: c${i}\r\n\r\n${i}\r\n`);
  });
  const a = await RawImap.connect(t.imapPort);
  const b = await RawImap.connect(t.imapPort);
  for (const c of [a, b]) await c.command(`LOGIN ${BOB} "${PASSWORD}"`);
  const sel = await a.command("SELECT Cond (CONDSTORE)");
  const hms = BigInt(/HIGHESTMODSEQ (\d+)/.exec(sel.text)![1]);
  await b.command("SELECT Cond");
  const st = await b.command("STORE 2 +FLAGS (\\Flagged)");
  assert.doesNotMatch(st.text, /MODSEQ/, "without CONDSTORE no MODSEQ");
  const noop = await a.command("NOOP");
  const m = /\* 2 FETCH \(UID 2 FLAGS \((?:\\Recent )?\\Flagged\) MODSEQ \((\d+)\)\)/.exec(noop.text);
  assert.ok(m, noop.text);
  const modSeq2 = BigInt(m[1]);
  assert.ok(modSeq2 > hms);
  const since = await a.command(`FETCH 1:* (FLAGS) (CHANGEDSINCE ${hms})`);
  assert.equal((since.text.match(/^\* \d+ FETCH/gm) ?? []).length, 1, since.text);
  assert.match(since.text, new RegExp(`\\* 2 FETCH \\(FLAGS \\((?:\\\\Recent )?\\\\Flagged\\) MODSEQ \\(${modSeq2}\\)\\)`));
  const cond = await a.command(`STORE 1:2 (UNCHANGEDSINCE ${hms}) +FLAGS.SILENT (\\Seen)`);
  assert.match(cond.line, /OK \[MODIFIED 2\]/, "message 2 changed after the given MODSEQ: refused and reported");
  assert.match(cond.text, /\* 1 FETCH \(FLAGS \((?:\\Recent )?\\Seen\) MODSEQ \(\d+\)\)/);
  const search = await a.command(`SEARCH MODSEQ ${modSeq2}`);
  assert.match(search.text, /\* SEARCH 1 2 \(MODSEQ \d+\)/);
  assert.equal((await b.command("ENABLE CONDSTORE")).status, "BAD", "ENABLE is for the authenticated state only (RFC 5161)");
  await b.command("UNSELECT");
  const en = await b.command("ENABLE CONDSTORE");
  assert.match(en.text, /\* ENABLED CONDSTORE/);
  const c = await RawImap.connect(t.imapPort);
  await c.command(`LOGIN ${BOB} "${PASSWORD}"`);
  await c.command("SELECT Cond");
  const first = await c.command("FETCH 1 (MODSEQ)");
  assert.match(first.text, /\* OK \[HIGHESTMODSEQ \d+\][^\r]*\r\n\* 1 FETCH \(MODSEQ \(\d+\)\)/, "a command that turns CONDSTORE on tells HIGHESTMODSEQ first (RFC 7162 3.1)");
  const es = await c.command("SEARCH RETURN (MIN) MODSEQ 1");
  assert.match(es.text, /\* ESEARCH \(TAG "t\d+"\) MIN 1 MODSEQ \d+/);
  c.close();
  a.close();
  b.close();
});

test("a folder deleted by another session: the session that has it selected is told its messages are gone", async () => {
  await withClient(ALICE, async (f) => {
    await f.mailboxCreate("Doomed");
    await f.append("Doomed", "Subject: d1\r\n\r\n1\r\n");
    await f.append("Doomed", "Subject: d2\r\n\r\n2\r\n");
  });
  const a = await RawImap.connect(t.imapPort);
  await a.command(`LOGIN ${ALICE} "${PASSWORD}"`);
  await a.command("SELECT Doomed");
  await withClient(ALICE, (f) => f.mailboxDelete("Doomed"));
  const noop = await a.command("NOOP");
  assert.match(noop.text, /\* 2 EXPUNGE\r\n\* 1 EXPUNGE/);
  assert.equal((await a.command("FETCH 1 FLAGS")).status, "BAD");
  a.close();
});

test("MOVE into the selected folder itself gives the messages new UIDs (RFC 6851)", async () => {
  await withClient(ALICE, async (f) => {
    await f.mailboxCreate("Self");
    await f.append("Self", "Subject: self1\r\n\r\n1\r\n");
    await f.append("Self", "Subject: self2\r\n\r\n2\r\n");
  });
  const c = await RawImap.connect(t.imapPort);
  await c.command(`LOGIN ${ALICE} "${PASSWORD}"`);
  await c.command("SELECT Self");
  const mv = await c.command("MOVE 1 Self");
  assert.match(mv.text, /\* OK \[COPYUID \d+ 1 3\]/);
  assert.match(mv.text, /\* 1 EXPUNGE/);
  assert.match(mv.text, /\* 2 EXISTS/);
  const f = await c.command("FETCH 1:* (UID)");
  assert.match(f.text, /\* 1 FETCH \(UID 2\)\r\n\* 2 FETCH \(UID 3\)/);
  c.close();
});

test("a keyword another session just set is announced in FLAGS before a FETCH shows it (RFC 3501 7.2.6)", async () => {
  await withClient(ALICE, async (f) => {
    await f.mailboxCreate("Kw");
    await f.append("Kw", "Subject: kw\r\n\r\nkw\r\n");
  });
  const a = await RawImap.connect(t.imapPort);
  const b = await RawImap.connect(t.imapPort);
  for (const c of [a, b]) {
    await c.command(`LOGIN ${ALICE} "${PASSWORD}"`);
    await c.command("SELECT Kw");
  }
  assert.equal((await b.command("STORE 1 +FLAGS ($Fresh)")).status, "OK");
  // At once: the change feed has not told a's session yet, so only FETCH itself can announce it.
  const r = await a.command("FETCH 1 FLAGS");
  const flags = r.text.search(/\* FLAGS \([^)]*\$Fresh/);
  assert.ok(flags >= 0 && flags < r.text.indexOf("* 1 FETCH (FLAGS ("), r.text);
  assert.match(r.text, /\* 1 FETCH \(FLAGS \([^)]*\$Fresh/);
  a.close();
  b.close();
});
