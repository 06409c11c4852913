/** curl, an SMTP client nobody here wrote, against the MX and the submission ports. */
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { startTestEngine, PASSWORD, type TestEngine } from "../helpers/engine";

const haveCurl = spawnSync("curl", ["--version"]).status === 0;
let t: TestEngine;
before(async () => {
  t = await startTestEngine();
});
after(() => t.stop());

// Asynchronous: the engine runs in this process and must keep answering.
async function curl(args: string[], message: string) {
  const child = promisify(execFile)("curl", ["-sS", "--max-time", "20", "-T", "-", ...args], { encoding: "utf8" });
  child.child.stdin!.end(message);
  return child;
}

const message = (subject: string) => `From: bob@example.test\r\nTo: alice@example.test\r\nSubject: ${subject}\r\n\r\nsent by curl\r\n`;

test("curl delivers to the MX", { skip: !haveCurl && "curl missing" }, async () => {
  await curl([`smtp://127.0.0.1:${t.mxPort}/client.example`, "--mail-from", "someone@remote.example", "--mail-rcpt", "alice@example.test"], message("curl mx"));
  assert.equal(await t.db.message.count({ where: { subject: "curl mx", account: { email: "alice@example.test" } } }), 1);
});

test("curl submits with STARTTLS and AUTH on 587, and over implicit TLS on 465", { skip: !haveCurl && "curl missing" }, async () => {
  const auth = ["--user", `bob@example.test:${PASSWORD}`, "-k", "--mail-from", "bob@example.test", "--mail-rcpt", "alice@example.test"];
  await curl([`smtp://127.0.0.1:${t.submissionPort}/laptop`, "--ssl-reqd", ...auth], message("curl 587"));
  await curl([`smtps://127.0.0.1:${t.submissionsPort}/laptop`, ...auth], message("curl 465"));
  assert.equal(await t.db.message.count({ where: { subject: { in: ["curl 587", "curl 465"] } } }), 2);
  await assert.rejects(curl([`smtp://127.0.0.1:${t.submissionPort}/laptop`, "--ssl-reqd", "-k", "--user", "bob@example.test:wrong", "--mail-from", "bob@example.test", "--mail-rcpt", "alice@example.test"], message("curl bad")), /535|Login denied/);
});
