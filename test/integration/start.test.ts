/**
 * `npm start` (scripts/start.mjs) on an empty DATA_DIR: the compiled build, migrations,
 * TLS material, admin hint, engine up, every process plain `node` on compiled JavaScript
 * (no npm, no tsx), clean stop.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort, waitForPort } from "../helpers/ports";
import { wantsPostgres } from "../helpers/db";
import { RawSmtp } from "../helpers/raw-smtp";

/** pid and command line of the process and all its descendants, from /proc. */
function processTree(rootPid: number): { pid: number; exe: string; argv: string[]; nodeOptions: string }[] {
  const parentOf = new Map<number, number>();
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, "utf8");
      parentOf.set(Number(d), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {}
  }
  const pids = [rootPid];
  for (let i = 0; i < pids.length; i++) for (const [pid, ppid] of parentOf) if (ppid === pids[i]) pids.push(pid);
  return pids.flatMap((pid) => {
    try {
      const argv = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
      const env = fs.readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
      return [{ pid, exe: fs.readlinkSync(`/proc/${pid}/exe`), argv, nodeOptions: env.find((e) => e.startsWith("NODE_OPTIONS="))?.slice(13) ?? "" }];
    } catch {
      return [];
    }
  });
}

test("npm start builds and runs the compiled suite: prepares an empty data directory, runs the engine without tsx and stops cleanly on SIGTERM", { skip: wantsPostgres() && "SQLite default only" }, async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "mailsuite-start-"));
  const [smtp, sub, subs] = [await freePort(), await freePort(), await freePort()];
  // What `npm start` runs (package.json), without npm's own wrapper process.
  const child = spawn(process.execPath, ["scripts/start.mjs"], {
    env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: "", BIND_ADDRESS: "127.0.0.1", MAIL_HOSTNAME: "mx.start.example", SMTP_PORT: String(smtp), SUBMISSION_PORT: String(sub), SUBMISSIONS_PORT: String(subs), IMAP_PORT: "0", IMAPS_PORT: "0", POP3_PORT: "0", POP3S_PORT: "0", WEB_PORT: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  try {
    await waitForPort(smtp, 30_000);
    await waitForPort(subs, 10_000);
    const c = await RawSmtp.connect(smtp);
    const ehlo = await c.command("EHLO probe");
    assert.match(ehlo.lines[0], /^250-mx\.start\.example/);
    c.close();
    assert.ok(fs.existsSync(path.join(dataDir, "mail.db")), "the SQLite database was created");
    assert.ok(fs.existsSync(path.join(dataDir, "tls", "cert.pem")) && fs.existsSync(path.join(dataDir, "tls", "key.pem")), "a self-signed pair was generated");
    assert.match(output, /mailctl user add you@example\.com --password '\.\.\.' --admin/);

    const tree = processTree(child.pid!);
    const engine = tree.find((p) => p.argv.some((a) => /\/dist\/b-[^/]+\/mail-engine\.main\.js$/.test(a)));
    assert.ok(engine, `the engine runs from the compiled build; processes: ${JSON.stringify(tree.map((p) => p.argv))}`);
    for (const p of tree) {
      assert.equal(p.exe, fs.realpathSync(process.execPath), `pid ${p.pid} is node itself (not npm or a shell): ${p.argv.join(" ")}`);
      assert.ok(!p.argv.some((a) => /tsx|\.ts$/.test(a)) && !/tsx/.test(p.nodeOptions), `pid ${p.pid} runs no TypeScript loader: ${p.argv.join(" ")} (NODE_OPTIONS=${p.nodeOptions})`);
      assert.ok(!p.argv.some((a) => /npm/.test(a)), `pid ${p.pid} is not npm: ${p.argv.join(" ")}`);
    }
  } finally {
    child.kill("SIGTERM");
  }
  const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r("timeout"), 20_000).unref())]);
  assert.equal(code, 0, `start exits 0 after SIGTERM (output: ${output.slice(-2000)})`);
  assert.match(output, /"event":"engine.stopped"/);
  fs.rmSync(dataDir, { recursive: true, force: true });
});
