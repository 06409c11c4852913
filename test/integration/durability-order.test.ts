/**
 * Durability order: the engine's `250` after DATA is written to the client only after
 * the message's bytes and rows were synced to disk. SIGKILL of the engine (see
 * durability.test.ts) leaves the kernel's page cache intact, so only the order of system
 * calls shows that the sync happens, and happens first.
 *
 * The engine runs under strace (Debian's `strace`; `npm test` installs it when missing).
 * Messages are delivered one at a time on one connection; for each, between the `354`
 * that invites its data and the `250 ... queued as <id>` that accepts it, the trace must
 * show a completed fsync/fdatasync of the SQLite database or its WAL (the commit of the
 * message's rows, synchronous=FULL) and, for a message above BLOB_INLINE_MAX (a blob
 * file), an fsync of a file under DATA_DIR/blobs.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { testDatabase, wantsPostgres } from "../helpers/db";
import { freePort, waitForPort } from "../helpers/ports";
import { RawSmtp } from "../helpers/raw-smtp";
import { addAccount, addDomain } from "../../lib/directory";

const SYSCALLS = "fsync,fdatasync,write,pwrite64,sendto,writev";

interface TraceEvent {
  kind: "sync" | "socket-write";
  /** The file (sync) or socket description (write) from strace's -yy output. */
  target: string;
  /** For a socket write: the bytes written, as strace prints them. */
  text: string;
}

/**
 * The trace as an ordered list of events: a sync counts where it returned (its complete
 * line, or the "resumed" line when another thread interleaved), a write where it began.
 * strace orders the events it observes, so "sync line before write line" means the sync
 * returned before the write was entered.
 */
export function parseTrace(trace: string): TraceEvent[] {
  const events: TraceEvent[] = [];
  const unfinished = new Map<string, string>(); // pid -> fd description of its pending sync
  for (const line of trace.split("\n")) {
    const m = /^(\d+)\s+\S+\s+(.*)$/.exec(line);
    if (!m) continue;
    const [, pid, rest] = m;
    const resumed = /^<\.\.\. (fsync|fdatasync) resumed>.*\)\s+=\s+(-?\d+)/.exec(rest);
    if (resumed) {
      const target = unfinished.get(pid);
      unfinished.delete(pid);
      if (target !== undefined && resumed[2] === "0") events.push({ kind: "sync", target, text: "" });
      continue;
    }
    // The descriptor's description ends at the ">" before the next argument, the ")", or
    // " <unfinished ...>" when another thread's line interrupts the call (fsync(5</x> <unfinished ...>);
    // a socket's contains "->" itself (TCP:[127.0.0.1:25->127.0.0.1:40000]).
    const call = /^(\w+)\((\d+)<(.*?)>(?=[,)]| <unfinished)(.*)$/.exec(rest);
    if (!call) continue;
    const [, name, , target, after] = call;
    if (name === "fsync" || name === "fdatasync") {
      if (after.includes("<unfinished ...>")) unfinished.set(pid, target);
      else if (/\)\s+=\s+0\b/.test(after)) events.push({ kind: "sync", target, text: "" });
    } else if (/^TCP/.test(target)) {
      events.push({ kind: "socket-write", target, text: after });
    }
  }
  return events;
}

test("each 250 after DATA is written to the client only after an fsync of the database (and of the blob file for a large message)", { skip: wantsPostgres() && "on PostgreSQL the database server fsyncs its WAL before COMMIT returns; the engine process makes no sync calls of its own to trace" }, async () => {
  const straceVersion = spawnSync("strace", ["-V"], { encoding: "utf8" });
  assert.equal(straceVersion.status, 0, "strace is needed for this test: run `npm test` (it installs Debian's strace) or `sudo apt-get install strace`");

  const db = await testDatabase();
  const traceDir = fs.mkdtempSync(path.join(os.tmpdir(), "mailsuite-strace-"));
  const traceFile = path.join(traceDir, "engine.trace");
  try {
    await addDomain(db.db, "order.example", "test");
    await addAccount(db.db, { email: "user@order.example", password: "long enough" }, "test");
    const port = await freePort();
    const env = { ...process.env, DATA_DIR: db.dataDir, DATABASE_URL: db.config.databaseUrl, BIND_ADDRESS: "127.0.0.1", MAIL_HOSTNAME: "mx.order.example", SMTP_PORT: String(port), SUBMISSION_PORT: "0", SUBMISSIONS_PORT: "0", IMAP_PORT: "0", IMAPS_PORT: "0", POP3_PORT: "0", POP3S_PORT: "0", LOG_LEVEL: "warn", BLOB_STORE: "file", BLOB_INLINE_MAX: "65536" };
    // -f: every thread (the store writer thread commits); -yy: paths of file descriptors and
    // the addresses of sockets; -s: enough of each write to read the reply line.
    const strace = spawn("strace", ["-f", "-tt", "-yy", "-s", "160", "-e", `trace=${SYSCALLS}`, "-o", traceFile, process.execPath, "--import", "tsx", "mail-engine/main.ts"], { env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    strace.stderr!.on("data", (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => strace.on("exit", (code) => r(code)));
    const enginePid = () => Number(/^(\d+)/.exec(fs.readFileSync(traceFile, "utf8"))?.[1]);
    const sent: { id: string; large: boolean }[] = [];
    let localPort = 0;
    try {
      await waitForPort(port, 60_000);
      const c = await RawSmtp.connect(port);
      localPort = c.localPort;
      assert.equal((await c.command("EHLO order.remote.example")).code, 250);
      const bodies = [
        { large: false, body: "small message one\r\n" },
        { large: false, body: "small message two\r\n".repeat(50) },
        { large: true, body: `${"large message line, above BLOB_INLINE_MAX so it becomes a file ".repeat(1)}\r\n`.repeat(1600) },
        { large: false, body: "small message three\r\n" },
      ];
      assert.ok(bodies[2].body.length > 65536, "the large message is above BLOB_INLINE_MAX");
      for (const [i, b] of bodies.entries()) {
        assert.equal((await c.command("MAIL FROM:<sender@remote.example>")).code, 250);
        assert.equal((await c.command("RCPT TO:<user@order.example>")).code, 250);
        assert.equal((await c.command("DATA")).code, 354);
        c.write(`Subject: order ${i}\r\nMessage-ID: <order-${i}@remote.example>\r\n\r\n${b.body}.\r\n`);
        const r = await c.read(30_000);
        assert.equal(r.code, 250, r.text);
        sent.push({ id: /queued as (\S+)/.exec(r.text)![1], large: b.large });
      }
      await c.command("QUIT");
      c.close();
    } finally {
      try {
        process.kill(enginePid(), "SIGTERM");
      } catch {
        strace.kill("SIGKILL");
      }
    }
    assert.equal(await exited, 0, `the engine under strace exited cleanly (strace: ${stderr.slice(-500)})`);

    const events = parseTrace(fs.readFileSync(traceFile, "utf8"));
    const ours = (e: TraceEvent) => e.kind === "socket-write" && e.target.includes(`:${localPort}]`);
    const isDb = (e: TraceEvent) => e.kind === "sync" && e.target.startsWith(db.dataDir) && /mail\.db(-wal|-journal)?$/.test(e.target);
    const isBlob = (e: TraceEvent) => e.kind === "sync" && e.target.startsWith(path.join(db.dataDir, "blobs"));
    for (const m of sent) {
      const reply = events.findIndex((e) => ours(e) && e.text.includes(`queued as ${m.id}`));
      assert.ok(reply >= 0, `the 250 for ${m.id} is in the trace`);
      let invite = -1;
      for (let i = reply - 1; i >= 0; i--) if (ours(events[i]) && events[i].text.startsWith(`, "354 `)) {
        invite = i;
        break;
      }
      assert.ok(invite >= 0, `the 354 before ${m.id}'s data is in the trace`);
      const between = events.slice(invite + 1, reply);
      assert.ok(between.some(isDb), `an fsync of the database/WAL completes between the 354 and the 250 of ${m.id} (syncs seen: ${between.filter((e) => e.kind === "sync").map((e) => e.target).join(", ") || "none"})`);
      if (m.large) assert.ok(between.some(isBlob), `an fsync under blobs/ completes before the 250 of the large message ${m.id}`);
    }
  } finally {
    fs.rmSync(traceDir, { recursive: true, force: true });
    await db.cleanup();
  }
});
