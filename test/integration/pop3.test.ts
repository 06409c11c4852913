/**
 * POP3 (RFC 1939, STLS RFC 2595, CAPA RFC 2449) driven by clients nobody here wrote:
 * Python's poplib and curl, plus raw sockets where the wire itself is the point
 * (an outside address before STLS, dot-stuffing, line limits, timeouts).
 */
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import tls from "node:tls";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import nodemailer from "nodemailer";
import { startTestEngine, PASSWORD, type TestEngine } from "../helpers/engine";
import { createPop3Server } from "../../mail-engine/pop3/server";
import { hashPassword } from "../../lib/auth/password";

const run = promisify(execFile);
let t: TestEngine;
before(async () => {
  t = await startTestEngine({ SMTP_GREET_PAUSE_MS: "0" });
});
after(() => t.stop());

const ALICE = "alice@example.test";
const BOB = "bob@example.test";

async function deliver(to: string, subject: string, body: string): Promise<void> {
  const smtp = nodemailer.createTransport({ host: "127.0.0.1", port: t.mxPort, secure: false, ignoreTLS: true });
  const raw = `From: carol@remote.example\r\nTo: ${to}\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, "")}@remote.example>\r\n\r\n${body}`;
  await smtp.sendMail({ envelope: { from: "carol@remote.example", to: [to] }, raw });
  smtp.close();
}

async function inbox(email: string) {
  const account = await t.db.account.findUniqueOrThrow({ where: { email } });
  const mailbox = await t.db.mailbox.findUniqueOrThrow({ where: { accountId_name: { accountId: account.id, name: "INBOX" } } });
  const messages = await t.db.message.findMany({ where: { mailboxId: mailbox.id }, orderBy: { uid: "asc" } });
  return { account, mailbox, messages };
}

/** Clears a mailbox between tests through the store (so counters stay right). */
async function empty(email: string): Promise<void> {
  const { account, mailbox } = await inbox(email);
  await t.engine.ctx.store.expunge({ accountId: account.id, mailboxId: mailbox.id, onlyDeleted: false });
}

/** Runs a poplib script; it prints one JSON value. P is poplib, connect(user) gives a signed-in POP3_SSL. */
async function py(body: string): Promise<any> {
  const prelude = `
import poplib, ssl, json, base64, sys
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
PORT_S = ${t.pop3sPort}; PORT = ${t.pop3Port}; PW = ${JSON.stringify(PASSWORD)}
def connect(user, pw=PW):
    p = poplib.POP3_SSL("127.0.0.1", PORT_S, context=ctx, timeout=20)
    p.user(user); p.pass_(pw)
    return p
def b64(b): return base64.b64encode(b).decode()
`;
  const { stdout } = await run("python3", ["-c", prelude + body], { encoding: "utf8", timeout: 60_000 });
  return JSON.parse(stdout.trim().split("\n").pop()!);
}

/** A line-oriented POP3 client on a raw socket, optionally from another local address. */
class Raw {
  private buf = "";
  private waiters: Array<() => void> = [];
  closed = false;
  private constructor(public socket: net.Socket) {
    this.hook(socket);
  }
  static async connect(port: number, opts: { localAddress?: string; secure?: boolean } = {}): Promise<Raw> {
    const socket = opts.secure
      ? tls.connect({ host: "127.0.0.1", port, rejectUnauthorized: false })
      : net.connect({ host: "127.0.0.1", port, localAddress: opts.localAddress });
    await new Promise((r, j) => socket.once(opts.secure ? "secureConnect" : "connect", r).once("error", j));
    const c = new Raw(socket);
    await c.line();
    return c;
  }
  private hook(socket: net.Socket) {
    socket.setEncoding("latin1");
    socket.on("data", (d: string) => {
      this.buf += d;
      this.waiters.splice(0).forEach((w) => w());
    });
    socket.on("close", () => {
      this.closed = true;
      this.waiters.splice(0).forEach((w) => w());
    });
  }
  async line(): Promise<string> {
    for (;;) {
      const i = this.buf.indexOf("\r\n");
      if (i !== -1) {
        const l = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 2);
        return l;
      }
      if (this.closed) throw new Error(`connection closed; had ${JSON.stringify(this.buf)}`);
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }
  /** A multi-line response's lines as sent (still dot-stuffed), without the final ".". */
  async multi(): Promise<string[]> {
    const out: string[] = [];
    for (let l = await this.line(); l !== "."; l = await this.line()) out.push(l);
    return out;
  }
  async cmd(line: string): Promise<string> {
    this.socket.write(line + "\r\n");
    return this.line();
  }
  async starttls(): Promise<void> {
    this.socket.removeAllListeners("data");
    this.socket.removeAllListeners("close");
    const s = tls.connect({ socket: this.socket, rejectUnauthorized: false });
    await new Promise((r, j) => s.once("secureConnect", r).once("error", j));
    this.socket = s;
    this.hook(s);
  }
  close() {
    this.socket.destroy();
  }
}

test("poplib over POP3S: STAT, LIST, UIDL, TOP and RETR give the exact stored bytes; RETR marks \\Seen", async () => {
  await empty(ALICE);
  await deliver(ALICE, "first", "line one\r\nline two\r\nline three\r\n");
  await deliver(ALICE, "second", "hello again\r\n");
  const { mailbox, messages } = await inbox(ALICE);
  assert.equal(messages.length, 2);
  const stored = await Promise.all(messages.map((m) => t.engine.ctx.blobs.get(m.blobHash)));
  const r = await py(`
p = connect("${ALICE}")
stat = p.stat()
lst = p.list()
uidl = p.uidl()
one = p.uidl(2).decode()
top = p.top(1, 1)
retr = [p.retr(1), p.retr(2)]
p.quit()
print(json.dumps({"stat": list(stat), "list": [x.decode() for x in lst[1]], "uidl": [x.decode() for x in uidl[1]], "one": one,
  "top": b64(b"\\r\\n".join(top[1])), "retr": [b64(b"\\r\\n".join(x[1]) + b"\\r\\n") for x in retr], "sizes": [x[2] for x in retr]}))
`);
  assert.deepEqual(r.stat, [2, stored[0].length + stored[1].length]);
  assert.deepEqual(r.list, [`1 ${stored[0].length}`, `2 ${stored[1].length}`]);
  assert.deepEqual(r.uidl, messages.map((m, i) => `${i + 1} ${mailbox.uidValidity}.${m.uid}`));
  assert.equal(r.one, `+OK 2 ${mailbox.uidValidity}.${messages[1].uid}`);
  assert.ok(Buffer.from(r.retr[0], "base64").equals(stored[0]), "RETR 1 returns the stored message byte for byte");
  assert.ok(Buffer.from(r.retr[1], "base64").equals(stored[1]));
  const header = stored[0].subarray(0, stored[0].indexOf("\r\n\r\n") + 4).toString();
  assert.equal(Buffer.from(r.top, "base64").toString(), header + "line one");
  const after = await inbox(ALICE);
  assert.deepEqual(after.messages.map((m) => m.seen), [true, true], "RETR marks the messages \\Seen");
  assert.equal(after.mailbox.unseenCount, 0);
  const login = t.logs.find((l) => l.event === "pop3.login" && l.user === ALICE);
  assert.ok(login && login.tls === true, "a JSON login line");
});

test("a line that begins with a dot is stuffed on the wire and comes back whole", async () => {
  await empty(ALICE);
  await deliver(ALICE, "dots", ".hidden\r\n..two dots\r\nplain\r\n.\r\nend\r\n");
  const [m] = (await inbox(ALICE)).messages;
  const stored = await t.engine.ctx.blobs.get(m.blobHash);
  assert.match(stored.toString(), /\r\n\.hidden\r\n\.\.two dots\r\nplain\r\n\.\r\nend\r\n$/);
  const raw = await Raw.connect(t.pop3sPort, { secure: true });
  assert.match(await raw.cmd(`USER ${ALICE}`), /^\+OK/);
  assert.match(await raw.cmd(`PASS ${PASSWORD}`), /^\+OK/);
  assert.match(await raw.cmd("RETR 1"), /^\+OK/);
  const wire = await raw.multi();
  assert.deepEqual(wire.slice(-5), ["..hidden", "...two dots", "plain", "..", "end"]);
  raw.close();
  const r = await py(`
p = connect("${ALICE}")
print(json.dumps(b64(b"\\r\\n".join(p.retr(1)[1]) + b"\\r\\n")))
p.quit()
`);
  assert.ok(Buffer.from(r, "base64").equals(stored));
});

test("DELE + QUIT removes the message through the store; RSET and a dropped connection keep it", async () => {
  await empty(ALICE);
  await deliver(ALICE, "keep", "keep me\r\n");
  await deliver(ALICE, "remove", "remove me\r\n");
  const before = await inbox(ALICE);
  assert.equal(before.mailbox.messageCount, 2);
  const r = await py(`
p = connect("${ALICE}")
p.dele(1)
err = ""
try: p.retr(1)
except poplib.error_proto as e: err = e.args[0].decode()
stat = p.stat()
p.rset()
stat2 = p.stat()
p.quit()
print(json.dumps({"err": err, "stat": list(stat), "stat2": list(stat2)}))
`);
  assert.match(r.err, /^-ERR/);
  assert.equal(r.stat[0], 1, "a deleted message is out of STAT");
  assert.equal(r.stat2[0], 2, "RSET brings it back");
  assert.equal((await inbox(ALICE)).messages.length, 2, "RSET then QUIT deletes nothing");

  // DELE without QUIT: RFC 1939 6, nothing is removed.
  const dropped = await Raw.connect(t.pop3sPort, { secure: true });
  await dropped.cmd(`USER ${ALICE}`);
  await dropped.cmd(`PASS ${PASSWORD}`);
  assert.match(await dropped.cmd("DELE 2"), /^\+OK/);
  dropped.close();
  await new Promise((r) => setTimeout(r, 200));
  assert.equal((await inbox(ALICE)).messages.length, 2);

  const q = await py(`
p = connect("${ALICE}")
p.dele(2)
print(json.dumps(p.quit().decode()))
`);
  assert.match(q, /^\+OK .*\(1 messages deleted\)/);
  const after = await inbox(ALICE);
  assert.deepEqual(after.messages.map((m) => m.subject), ["keep"]);
  assert.equal(await t.db.message.count({ where: { id: before.messages[1].id } }), 0, "the Message row is gone");
  assert.equal(after.mailbox.messageCount, 1, "the mailbox counter dropped");
  const uid = before.messages[1].uid;
  assert.equal(await t.db.expungedMessage.count({ where: { mailboxId: after.mailbox.id, uid } }), 1, "journalled as an expunge, so IMAP sessions see it go");
  const logout = t.logs.filter((l) => l.event === "pop3.logout" && l.user === ALICE).pop();
  assert.equal(logout?.deleted, 1);
});

test("STLS on the plain port (poplib), and curl pop3s:// fetches a message", async () => {
  await empty(ALICE);
  await deliver(ALICE, "for curl", "fetched by curl\r\n");
  const stored = await t.engine.ctx.blobs.get((await inbox(ALICE)).messages[0].blobHash);
  const r = await py(`
p = poplib.POP3("127.0.0.1", PORT, timeout=20)
caps = p.capa()
p.stls(context=ctx)
p.user("${ALICE}"); p.pass_(PW)
n = p.stat()[0]
p.quit()
print(json.dumps({"caps": sorted(caps.keys()), "n": n}))
`);
  assert.ok(r.caps.includes("STLS") && r.caps.includes("UIDL") && r.caps.includes("TOP") && r.caps.includes("PIPELINING"));
  assert.equal(r.n, 1);
  const { stdout } = await run("curl", ["-sS", "-k", "--max-time", "20", "--url", `pop3s://127.0.0.1:${t.pop3sPort}/1`, "--user", `${ALICE}:${PASSWORD}`], { encoding: "buffer" } as never);
  assert.ok(Buffer.from(stdout as unknown as Buffer).equals(stored), "curl gets the stored bytes");
  const list = await run("curl", ["-sS", "-k", "--max-time", "20", "--url", `pop3s://127.0.0.1:${t.pop3sPort}/`, "--user", `${ALICE}:${PASSWORD}`], { encoding: "utf8" });
  assert.equal(list.stdout.trim(), `1 ${stored.length}`);
});

test("an outside address gets no password exchange before STLS", async () => {
  const raw = await Raw.connect(t.pop3Port, { localAddress: "127.0.0.2" });
  assert.match(await raw.cmd("CAPA"), /^\+OK/);
  const caps = await raw.multi();
  assert.ok(caps.includes("STLS"));
  assert.ok(!caps.includes("USER") && !caps.some((c) => c.startsWith("SASL")), `no USER/SASL before TLS: ${caps}`);
  assert.match(await raw.cmd(`USER ${ALICE}`), /^-ERR/);
  assert.match(await raw.cmd(`PASS ${PASSWORD}`), /^-ERR/);
  assert.match(await raw.cmd(`AUTH PLAIN ${Buffer.from(`\0${ALICE}\0${PASSWORD}`).toString("base64")}`), /^-ERR/);
  assert.match(await raw.cmd("STLS"), /^\+OK/);
  await raw.starttls();
  assert.match(await raw.cmd("CAPA"), /^\+OK/);
  const after = await raw.multi();
  assert.ok(after.includes("USER") && after.includes("SASL PLAIN") && !after.includes("STLS"));
  assert.match(await raw.cmd(`AUTH PLAIN ${Buffer.from(`\0${ALICE}\0${PASSWORD}`).toString("base64")}`), /^\+OK/);
  assert.match(await raw.cmd("STAT"), /^\+OK \d+ \d+$/);
  assert.match(await raw.cmd("QUIT"), /^\+OK/);
  raw.close();
});

test("STLS discards commands pipelined behind it in plaintext (RFC 2595 / CVE-2011-0411)", async () => {
  const raw = await Raw.connect(t.pop3Port, { localAddress: "127.0.0.2" });
  raw.socket.write("STLS\r\nCAPA\r\n");
  assert.match(await raw.line(), /^\+OK/);
  await raw.starttls();
  assert.match(await raw.cmd("NOOP"), /^-ERR .*authentication/, "the injected CAPA was not answered inside TLS");
  raw.close();
});

test("wrong password is -ERR [AUTH]; three failures close the connection", async () => {
  const r = await py(`
p = poplib.POP3_SSL("127.0.0.1", PORT_S, context=ctx, timeout=20)
p.user("${ALICE}")
try: p.pass_("wrong"); out = "accepted"
except poplib.error_proto as e: out = e.args[0].decode()
print(json.dumps(out))
`);
  assert.match(r, /^-ERR \[AUTH\]/);
  const raw = await Raw.connect(t.pop3sPort, { secure: true });
  assert.match(await raw.cmd(`AUTH PLAIN ${Buffer.from(`\0${BOB}\0nope`).toString("base64")}`), /^-ERR \[AUTH\]/);
  await raw.cmd(`USER ${BOB}`);
  assert.match(await raw.cmd("PASS nope"), /^-ERR \[AUTH\]/);
  assert.ok(!raw.closed);
  await raw.cmd(`USER ${BOB}`);
  assert.match(await raw.cmd("PASS still wrong"), /^-ERR \[AUTH\].*closing/);
  await assert.rejects(raw.line(), /closed/);
});

test("a second session for the same account gets -ERR [IN-USE]; after QUIT it may sign in", async () => {
  const r = await py(`
a = connect("${ALICE}")
b = poplib.POP3_SSL("127.0.0.1", PORT_S, context=ctx, timeout=20)
b.user("${ALICE}")
try: b.pass_(PW); out = "accepted"
except poplib.error_proto as e: out = e.args[0].decode()
other = connect("${BOB}").stat()
a.quit()
b.user("${ALICE}")
again = b.pass_(PW).decode()
b.quit()
print(json.dumps({"out": out, "again": again, "other": list(other)}))
`);
  assert.match(r.out, /^-ERR \[IN-USE\]/);
  assert.match(r.again, /^\+OK/);
});

test("bob never sees alice's mail", async () => {
  await empty(BOB);
  await deliver(ALICE, "private", "for alice only\r\n");
  const r = await py(`
p = connect("${BOB}")
stat = p.stat()
errs = []
for c in ["RETR 1", "TOP 1 0", "LIST 1", "UIDL 1", "DELE 1"]:
    try: p._shortcmd(c); errs.append("ok")
    except poplib.error_proto as e: errs.append(e.args[0].decode())
p.quit()
print(json.dumps({"stat": list(stat), "errs": errs}))
`);
  assert.deepEqual(r.stat, [0, 0]);
  for (const e of r.errs) assert.match(e, /^-ERR/);
  assert.ok((await inbox(ALICE)).messages.some((m) => m.subject === "private"));
});

test("bad commands get -ERR and the session goes on; an over-long line is refused", async () => {
  const raw = await Raw.connect(t.pop3sPort, { secure: true });
  assert.match(await raw.cmd("STAT"), /^-ERR .*authentication/);
  assert.match(await raw.cmd("FROB"), /^-ERR unknown command/);
  assert.match(await raw.cmd("X".repeat(5000)), /^-ERR line too long/);
  await raw.cmd(`USER ${ALICE}`);
  assert.match(await raw.cmd(`PASS ${PASSWORD}`), /^\+OK/);
  assert.match(await raw.cmd("RETR"), /^-ERR expected one message number/);
  assert.match(await raw.cmd("RETR abc"), /^-ERR/);
  assert.match(await raw.cmd("TOP 1"), /^-ERR/);
  assert.match(await raw.cmd("RETR 999"), /^-ERR no such message/);
  assert.match(await raw.cmd("NOOP"), /^\+OK/);
  // RFC 2449 6.6 PIPELINING: answers come back in order.
  raw.socket.write("NOOP\r\nSTAT\r\nNOOP\r\n");
  assert.equal(await raw.line(), "+OK");
  assert.match(await raw.line(), /^\+OK \d+ \d+$/);
  assert.equal(await raw.line(), "+OK");
  assert.match(await raw.cmd("QUIT"), /^\+OK/);
  raw.close();
});

test("a large message is streamed whole (file blob, several chunks)", async () => {
  await empty(ALICE);
  const line = "0123456789".repeat(7) + "\r\n";
  await deliver(ALICE, "big", line.repeat(20_000) + ".dot at a chunk's mercy\r\n");
  const [m] = (await inbox(ALICE)).messages;
  const stored = await t.engine.ctx.blobs.get(m.blobHash);
  assert.ok(stored.length > 1_000_000);
  const r = await py(`
p = connect("${ALICE}")
import hashlib
resp, lines, octets = p.retr(1)
p.quit()
print(json.dumps(hashlib.sha256(b"\\r\\n".join(lines) + b"\\r\\n").hexdigest()))
`);
  assert.equal(r, m.blobHash, "the bytes poplib got hash to the stored blob");
});

test("an unauthenticated connection is closed after the authentication timeout", async () => {
  const server = createPop3Server(t.engine.ctx, "pop3s", { authTimeoutMs: 1500, idleTimeoutMs: 2500 });
  const port = await server.listen(0, "127.0.0.1");
  try {
    const raw = await Raw.connect(port, { secure: true });
    const started = Date.now();
    assert.match(await raw.line(), /^-ERR/);
    await assert.rejects(raw.line(), /closed/);
    assert.ok(Date.now() - started >= 1000 && Date.now() - started < 5000);
    const idle = await Raw.connect(port, { secure: true });
    await idle.cmd(`USER ${BOB}`);
    assert.match(await idle.cmd(`PASS ${PASSWORD}`), /^\+OK/);
    await new Promise((r) => setTimeout(r, 1600)); // past the authentication limit: no longer applies
    assert.match(await idle.cmd("NOOP"), /^\+OK/);
    assert.match(await idle.line(), /^-ERR autologout/);
  } finally {
    await server.close();
  }
});

test("AUTH PLAIN with the response on its own line, an app password, and a foreign authorisation identity", async () => {
  const { account } = await inbox(BOB);
  await t.db.appPassword.create({ data: { accountId: account.id, name: "phone", hash: await hashPassword("app-secret-1234") } });
  const raw = await Raw.connect(t.pop3sPort, { secure: true });
  assert.match(await raw.cmd("AUTH"), /^\+OK/);
  assert.deepEqual(await raw.multi(), ["PLAIN"]);
  assert.match(await raw.cmd("AUTH LOGIN"), /^-ERR unsupported/);
  assert.match(await raw.cmd(`AUTH PLAIN ${Buffer.from(`${ALICE}\0${BOB}\0${PASSWORD}`).toString("base64")}`), /^-ERR \[AUTH\].*may not act as/);
  assert.equal(await raw.cmd("AUTH PLAIN"), "+ ");
  assert.match(await raw.cmd("*"), /^-ERR authentication cancelled/);
  assert.equal(await raw.cmd("AUTH PLAIN ="), "+ ");
  assert.match(await raw.cmd(Buffer.from(`\0${BOB}\0app-secret-1234`).toString("base64")), /^\+OK maildrop has/);
  assert.match(await raw.cmd("QUIT"), /^\+OK/);
  raw.close();
  assert.ok((await t.db.appPassword.findFirstOrThrow({ where: { accountId: account.id } })).lastUsedAt, "the app password was what signed in");
});

test("a message another client removed since sign-in answers -ERR; QUIT still deletes the rest", async () => {
  await empty(ALICE);
  await deliver(ALICE, "gone soon", "a\r\n");
  await deliver(ALICE, "stays", "b\r\n");
  const { account, mailbox, messages } = await inbox(ALICE);
  const raw = await Raw.connect(t.pop3sPort, { secure: true });
  await raw.cmd(`USER ${ALICE}`);
  assert.match(await raw.cmd(`PASS ${PASSWORD}`), /^\+OK maildrop has 2 messages/);
  await t.engine.ctx.store.expunge({ accountId: account.id, mailboxId: mailbox.id, messageIds: [messages[0].id], onlyDeleted: false });
  await deliver(ALICE, "later", "c\r\n");
  assert.match(await raw.cmd("RETR 1"), /^-ERR message 1 was removed/);
  assert.match(await raw.cmd("STAT"), /^\+OK 2 /, "the snapshot is the session's view (RFC 1939 8)");
  assert.match(await raw.cmd("DELE 1"), /^\+OK/);
  assert.match(await raw.cmd("DELE 2"), /^\+OK/);
  assert.match(await raw.cmd("QUIT"), /^\+OK .*\(1 messages deleted\)/);
  raw.close();
  assert.deepEqual((await inbox(ALICE)).messages.map((m) => m.subject), ["later"]);
});

test("stopping the listeners ends open sessions at once and deletes nothing", async () => {
  await empty(BOB);
  await deliver(BOB, "survives shutdown", "x\r\n");
  const server = createPop3Server(t.engine.ctx, "pop3s");
  const port = await server.listen(0, "127.0.0.1");
  const raw = await Raw.connect(port, { secure: true });
  await raw.cmd(`USER ${BOB}`);
  assert.match(await raw.cmd(`PASS ${PASSWORD}`), /^\+OK/);
  assert.match(await raw.cmd("DELE 1"), /^\+OK/);
  const started = Date.now();
  await server.close();
  assert.ok(Date.now() - started < 2000, `close took ${Date.now() - started} ms`);
  assert.match(await raw.line(), /^-ERR \[SYS\/TEMP\] server shutting down/);
  assert.equal((await inbox(BOB)).messages.length, 1, "no UPDATE state without QUIT");
  raw.close();
});
