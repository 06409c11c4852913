/**
 * The MX connection policy: per-address concurrency and rate limits, command and DATA
 * deadlines, the greeting pause with its pass cache. Loopback addresses other than
 * 127.0.0.1 (the client binds 127.0.0.2, 127.0.0.3, ...) act as outside clients.
 */
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { startTestEngine, type TestEngine } from "../helpers/engine";
import { RawSmtp } from "../helpers/raw-smtp";

const PAUSE_MS = 400;
const COMMAND_DEADLINE_S = 2;
const DATA_DEADLINE_S = 3;
const RATE = 60;
let t: TestEngine;
before(async () => {
  t = await startTestEngine({
    SMTP_GREET_PAUSE_MS: String(PAUSE_MS),
    SMTP_COMMAND_DEADLINE_SECONDS: String(COMMAND_DEADLINE_S),
    SMTP_DATA_DEADLINE_SECONDS: String(DATA_DEADLINE_S),
    SMTP_CLIENT_CONNECTION_RATE: String(RATE),
    TRUSTED_NETWORKS: "127.0.0.200/30, 2001:db8::/32",
  });
});
after(() => t.stop());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("the 51st concurrent connection from one address gets 421 4.7.0 while another address and 127.0.0.1 are served", async () => {
  const held: RawSmtp[] = [];
  try {
    const opened = await Promise.all(Array.from({ length: 50 }, () => RawSmtp.open(t.mxPort, { localAddress: "127.0.0.2" })));
    for (const o of opened) {
      held.push(o.client);
      assert.equal(o.greeting.code, 220, o.greeting.text);
    }
    const over = await RawSmtp.open(t.mxPort, { localAddress: "127.0.0.2" });
    held.push(over.client);
    assert.equal(over.greeting.code, 421);
    assert.match(over.greeting.text, /^4\.7\.0 mx\.test\.example Too many connections from 127\.0\.0\.2 \(limit 50 at a time\)/);
    assert.ok(await over.client.isClosed(), "the refused connection is closed");
    const line = t.logs.find((l) => l.event === "smtp.connection_refused" && l.ip === "127.0.0.2");
    assert.equal(line?.reason, "concurrency");

    const other = await RawSmtp.connect(t.mxPort, { localAddress: "127.0.0.3" });
    held.push(other);
    assert.equal((await other.command("EHLO other.example")).code, 250);

    // 127.0.0.1 is the host itself: exempt, 60 at once.
    const local = await Promise.all(Array.from({ length: 60 }, () => RawSmtp.connect(t.mxPort)));
    held.push(...local);

    // A freed slot is usable again.
    opened[0].client.close();
    await sleep(100);
    const again = await RawSmtp.open(t.mxPort, { localAddress: "127.0.0.2" });
    held.push(again.client);
    assert.equal(again.greeting.code, 220, again.greeting.text);
  } finally {
    for (const c of held) c.close();
  }
});

test(`more than ${RATE} new connections a minute from one address: 421 4.7.0`, async () => {
  for (let i = 0; i < RATE; i++) {
    const o = await RawSmtp.open(t.mxPort, { localAddress: "127.0.0.5" });
    assert.equal(o.greeting.code, 220, `connection ${i + 1}: ${o.greeting.text}`);
    o.client.close();
  }
  const over = await RawSmtp.open(t.mxPort, { localAddress: "127.0.0.5" });
  assert.equal(over.greeting.code, 421);
  assert.match(over.greeting.text, /^4\.7\.0 .*limit 60 a minute/);
  over.client.close();
  assert.ok(t.logs.some((l) => l.event === "smtp.connection_refused" && l.ip === "127.0.0.5" && l.reason === "rate"));
  // The host itself is not rate limited.
  for (let i = 0; i < RATE + 5; i++) (await RawSmtp.connect(t.mxPort)).close();
});

test("a client that drips a command one byte at a time is cut off with 421 4.4.2 at the command deadline", async () => {
  const c = await RawSmtp.connect(t.mxPort, { localAddress: "127.0.0.4" });
  const started = performance.now();
  let closed = false;
  const drip = (async () => {
    for (const ch of "EHLO slow.example.with.a.long.name\r\n") {
      if (closed) return;
      c.write(ch);
      await sleep(250);
    }
  })();
  const r = await c.read(COMMAND_DEADLINE_S * 1000 + 3000);
  const elapsed = performance.now() - started;
  closed = true;
  assert.equal(r.code, 421);
  assert.match(r.text, /^4\.4\.2 mx\.test\.example Command line not completed within 2 s/);
  assert.ok(elapsed >= COMMAND_DEADLINE_S * 1000 - 100 && elapsed < COMMAND_DEADLINE_S * 1000 + 1500, `cut after ${Math.round(elapsed)} ms`);
  assert.ok(await c.isClosed());
  await drip;
  assert.ok(t.logs.some((l) => l.event === "smtp.deadline_exceeded" && l.ip === "127.0.0.4" && l.phase === "command"));
});

test("a client idle between commands is not cut off by the command deadline", async () => {
  const c = await RawSmtp.connect(t.mxPort, { localAddress: "127.0.0.4" });
  assert.equal((await c.command("EHLO idle.example")).code, 250);
  await sleep(COMMAND_DEADLINE_S * 1000 + 500);
  assert.equal((await c.command("NOOP")).code, 250);
  c.close();
});

test("a message that trickles in beyond the DATA deadline is cut off with 421 4.4.2", async () => {
  const c = await RawSmtp.connect(t.mxPort, { localAddress: "127.0.0.4" });
  await c.command("EHLO trickle.example");
  assert.equal((await c.command("MAIL FROM:<x@remote.example>")).code, 250);
  assert.equal((await c.command("RCPT TO:<alice@example.test>")).code, 250);
  assert.equal((await c.command("DATA")).code, 354);
  const started = performance.now();
  let closed = false;
  const drip = (async () => {
    c.write("Subject: trickle\r\n\r\n");
    for (let i = 0; i < 40 && !closed; i++) {
      c.write(`line ${i}\r\n`); // each line whole: only the message deadline applies
      await sleep(200);
    }
  })();
  const r = await c.read(DATA_DEADLINE_S * 1000 + 3000);
  const elapsed = performance.now() - started;
  closed = true;
  assert.equal(r.code, 421);
  assert.match(r.text, /^4\.4\.2 .*Message data not completed within 3 s/);
  assert.ok(elapsed >= DATA_DEADLINE_S * 1000 - 100 && elapsed < DATA_DEADLINE_S * 1000 + 1500, `cut after ${Math.round(elapsed)} ms`);
  await drip;
  assert.equal(await t.db.message.count({ where: { subject: "trickle" } }), 0);
});

test("greeting pause: an early talker is refused with 554 5.5.1 and is not remembered as a passer", async () => {
  const c = await RawSmtp.dial(t.mxPort, { localAddress: "127.0.0.6" });
  c.write("EHLO early.example\r\n");
  const r = await c.read();
  assert.equal(r.code, 554);
  assert.match(r.text, /^5\.5\.1 mx\.test\.example Protocol error: you talked before the greeting/);
  assert.ok(await c.isClosed());
  const line = t.logs.find((l) => l.event === "smtp.early_talker" && l.ip === "127.0.0.6");
  assert.ok(line, "a log line names the early talker");
  assert.equal(line.sample, "EHLO early.example\r\n");
  const next = await RawSmtp.open(t.mxPort, { localAddress: "127.0.0.6" });
  assert.equal(next.greeting.code, 220);
  assert.ok(next.ms >= PAUSE_MS - 20, `the early talker waits again: greeted after ${Math.round(next.ms)} ms`);
  next.client.close();
});

test("greeting pause: a client that waited is greeted at once on its next connection; the host and TRUSTED_NETWORKS never wait", async () => {
  const first = await RawSmtp.open(t.mxPort, { localAddress: "127.0.0.7" });
  assert.equal(first.greeting.code, 220);
  assert.equal(first.greeting.text, "mx.test.example ESMTP ready", "the banner names the host once");
  assert.ok(first.ms >= PAUSE_MS - 20, `first connection greeted after ${Math.round(first.ms)} ms, expected the ${PAUSE_MS} ms pause`);
  first.client.close();
  const second = await RawSmtp.open(t.mxPort, { localAddress: "127.0.0.7" });
  assert.equal(second.greeting.code, 220);
  assert.ok(second.ms < PAUSE_MS / 2, `the passer's second connection was greeted after ${Math.round(second.ms)} ms`);
  second.client.close();
  for (const localAddress of [undefined, "127.0.0.201"]) {
    const o = await RawSmtp.open(t.mxPort, { localAddress });
    assert.equal(o.greeting.code, 220);
    assert.ok(o.ms < PAUSE_MS / 2, `${localAddress ?? "127.0.0.1"} greeted after ${Math.round(o.ms)} ms`);
    o.client.close();
  }
});
