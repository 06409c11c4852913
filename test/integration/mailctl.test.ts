/** mailctl as a user runs it: a separate process over the same database. */
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import nodemailer from "nodemailer";
import { startTestEngine, PASSWORD, type TestEngine } from "../helpers/engine";

let t: TestEngine;
before(async () => {
  t = await startTestEngine();
});
after(() => t.stop());

function mailctl(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ["bin/mailctl.mjs", ...args], { env: { ...process.env, DATA_DIR: t.dataDir, DATABASE_URL: t.config.databaseUrl }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    if (input !== undefined) child.stdin!.end(input);
    else child.stdin!.end();
  });
}

test("domains, users and aliases round-trip; bad input says why and exits non-zero", async () => {
  const added = await mailctl(["domain", "add", "Family.Example"]);
  assert.deepEqual({ ...added, stdout: "" }, { code: 0, stdout: "", stderr: "" });
  assert.match(added.stdout, /^added domain family\.example with DKIM selectors r\d{6}, e\d{6}; publish its records: mailctl domain dns family\.example\n$/);
  const dns = await mailctl(["domain", "dns", "family.example"]);
  assert.equal(dns.code, 0, dns.stderr);
  assert.match(dns.stdout, /^r\d{6}\._domainkey\.family\.example\. 3600 IN TXT "v=DKIM1; k=rsa; p=/m);
  const missing = await mailctl(["domain", "dkim", "rotate", "nowhere.example"]);
  assert.deepEqual(missing, { code: 1, stdout: "", stderr: "mailctl: domain nowhere.example does not exist\n" });
  const bad = await mailctl(["user", "add", "not-an-address"]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /"not-an-address" is not a mail address/);
  const noDomain = await mailctl(["user", "add", "x@nowhere.example", "--password", "long enough"]);
  assert.equal(noDomain.code, 1);
  assert.match(noDomain.stderr, /mailctl domain add nowhere\.example/);
  const short = await mailctl(["user", "add", "kid@family.example", "--password", "short"]);
  assert.match(short.stderr, /at least 8 characters/);
  assert.equal((await mailctl(["user", "add", "mum@family.example", "--password", "long enough", "--admin", "--quota", "1G"])).code, 0);
  assert.equal((await mailctl(["user", "add", "dad@family.example"], "from stdin please\n")).code, 0);
  const list = await mailctl(["user", "list", "family.example"]);
  assert.match(list.stdout, /mum@family\.example\s+admin\s+0 B\s+1\.0 GB\s+active/);
  assert.match(list.stdout, /dad@family\.example\s+user/);
  const dad = await t.db.account.findUniqueOrThrow({ where: { email: "dad@family.example" }, include: { mailboxes: true } });
  assert.deepEqual(dad.mailboxes.map((m) => m.specialUse).sort(), ["\\Archive", "\\Drafts", "\\Inbox", "\\Junk", "\\Sent", "\\Trash"]);
  assert.equal((await mailctl(["alias", "add", "@family.example", "mum@family.example"])).code, 0);
  assert.match((await mailctl(["alias", "list"])).stdout, /@family\.example\s+mum@family\.example/);
  assert.equal((await mailctl(["alias", "remove", "@family.example"])).code, 0);
  assert.equal((await mailctl(["user", "passwd", "dad@family.example", "--password", "another one"])).code, 0);
  assert.equal((await mailctl(["user", "remove", "dad@family.example"])).code, 0);
  const unknown = await mailctl(["frobnicate"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command "frobnicate"[\s\S]*usage: mailctl/);
  const busy = await mailctl(["domain", "remove", "family.example"]);
  assert.match(busy.stderr, /still has 1 account/);
  assert.ok((await t.db.auditLog.count({ where: { actor: "mailctl" } })) >= 6);
});

test("queue list shows what submission queued for remote recipients", async () => {
  assert.match((await mailctl(["queue", "list"])).stdout, /queue is empty/);
  const tr = nodemailer.createTransport({ host: "127.0.0.1", port: t.submissionsPort, secure: true, auth: { user: "bob@example.test", pass: PASSWORD }, tls: { rejectUnauthorized: false } });
  const info = await tr.sendMail({ from: "bob@example.test", to: "carol@remote.example", subject: "out", text: "x" });
  const queueId = info.response.split(" ").pop()!;
  const q = await mailctl(["queue", "list"]);
  assert.match(q.stdout, new RegExp(`${queueId}\\s+bob@example\\.test\\s+carol@remote\\.example\\s+queued\\s+0`));
  assert.equal((await mailctl(["queue", "delete", queueId])).code, 0);
  assert.match((await mailctl(["queue", "list"])).stdout, /queue is empty/);
});
