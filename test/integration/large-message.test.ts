/**
 * DATA is streamed into the blob store: a 50 MB message is accepted with the engine's
 * peak RSS growing by less than 20 MB (the engine runs with its production flags), lands as one file with the right bytes, and its
 * summary is read from a bounded prefix.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import { once } from "node:events";
import { testDatabase } from "../helpers/db";
import { freePort, waitForPort } from "../helpers/ports";
import { addAccount, addDomain } from "../../lib/directory";
import { createBlobStore } from "../../lib/store/blob-store";
import { ENGINE_NODE_FLAGS } from "../../lib/config/node-flags";

const SIZE = 50_000_000;

function peakRssKb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m![1]);
}

/** A minimal SMTP client that streams the body with backpressure, never holding it whole. */
async function sendLarge(port: number, subject: string, bodyBytes: number): Promise<{ reply: string; sha: string; sent: number }> {
  const sock = net.connect(port, "127.0.0.1");
  sock.setEncoding("utf8");
  let buf = "";
  const waiters: Array<() => void> = [];
  sock.on("data", (d: string) => {
    buf += d;
    waiters.splice(0).forEach((w) => w());
  });
  const reply = async (): Promise<string> => {
    for (;;) {
      const m = /(^|\r\n)(\d{3}) [^\r\n]*\r\n$/.exec(buf);
      if (m) {
        const r = buf;
        buf = "";
        return r;
      }
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  await reply();
  for (const cmd of ["EHLO big.remote.example", "MAIL FROM:<big@remote.example>", "RCPT TO:<user@big.example>", "DATA"]) {
    sock.write(cmd + "\r\n");
    await reply();
  }
  const hash = crypto.createHash("sha256");
  const head = Buffer.from(`From: big@remote.example\r\nTo: user@big.example\r\nSubject: ${subject}\r\nContent-Type: text/plain\r\n\r\nThe first line of a very large message.\r\n`);
  hash.update(head);
  sock.write(head);
  const line = Buffer.from("0123456789".repeat(7) + "abcdefgh\r\n"); // 80 octets
  const chunk = Buffer.concat(Array.from({ length: 800 }, () => line)); // 64,000 octets
  let sent = head.length;
  while (sent + chunk.length <= bodyBytes) {
    hash.update(chunk);
    sent += chunk.length;
    if (!sock.write(chunk)) await once(sock, "drain");
  }
  sock.write(".\r\n");
  const r = await reply();
  sock.end("QUIT\r\n");
  return { reply: r, sha: hash.digest("hex"), sent };
}

test("a 50 MB message is accepted with the engine's peak RSS growing by less than 20 MB", { timeout: 180_000 }, async () => {
  const db = await testDatabase();
  try {
    await addDomain(db.db, "big.example", "test");
    await addAccount(db.db, { email: "user@big.example", password: "long enough" }, "test");
    const port = await freePort();
    const env = { ...process.env, DATA_DIR: db.dataDir, DATABASE_URL: db.config.databaseUrl, BIND_ADDRESS: "127.0.0.1", MAIL_HOSTNAME: "mx.big.example", SMTP_PORT: String(port), SUBMISSION_PORT: "0", SUBMISSIONS_PORT: "0", IMAP_PORT: "0", IMAPS_PORT: "0", POP3_PORT: "0", POP3S_PORT: "0", LOG_LEVEL: "warn" };
    const engine = spawn(process.execPath, [...ENGINE_NODE_FLAGS, "--import", "tsx", "mail-engine/main.ts"], { env, stdio: ["ignore", "ignore", "inherit"] });
    try {
      await waitForPort(port);
      // Warm up every path once (a file-tier message included), so the baseline holds the code and the workers.
      for (let i = 0; i < 3; i++) assert.match((await sendLarge(port, `warm ${i}`, 300_000)).reply, /^250 /m);
      await new Promise((r) => setTimeout(r, 500));
      const before = peakRssKb(engine.pid!);
      const big = await sendLarge(port, "fifty megabytes", SIZE);
      assert.match(big.reply, /^250 2\.6\.0/m);
      const growthMb = (peakRssKb(engine.pid!) - before) / 1024;
      if (process.env.TEST_LOG) console.log(`peak RSS growth ${growthMb.toFixed(1)} MB`);
      assert.ok(growthMb < 20, `peak RSS grew by ${growthMb.toFixed(1)} MB for a ${(big.sent / 1e6).toFixed(0)} MB message`);

      const row = await db.db.message.findFirstOrThrow({ where: { subject: "fifty megabytes" } });
      assert.ok(row.size > big.sent, "stored with Return-Path and Received in front");
      assert.match(row.snippet, /^The first line of a very large message/);
      const file = createBlobStore(db.config, db.db).files!.pathOf(row.blobHash);
      assert.equal(fs.statSync(file).size, row.size);
      // The stored bytes end with exactly what was sent (the dot-stuffing-free body).
      const stored = fs.readFileSync(file);
      const body = stored.subarray(stored.indexOf("From: big@remote.example"));
      assert.equal(crypto.createHash("sha256").update(body).digest("hex"), big.sha);
    } finally {
      engine.kill("SIGTERM");
      await once(engine, "exit");
    }
  } finally {
    await db.cleanup();
  }
});
