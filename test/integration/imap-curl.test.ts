/**
 * curl, an IMAP client nobody here wrote: imap:// (on loopback, where the engine takes a
 * password before TLS), imap:// with STARTTLS required, and imaps://: list the folders,
 * fetch a message by UID, search, and a wrong password refused.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { startTestEngine, PASSWORD, type TestEngine } from "../helpers/engine";

let t: TestEngine;
const raw = (i: number) =>
  Buffer.from(`From: Carol <carol@remote.example>\r\nTo: alice@example.test\r\nSubject: curl message ${i}${i === 2 ? " kumquat" : ""}\r\nMessage-ID: <curl.${i}@remote.example>\r\n\r\nBody number ${i}.\r\n`);

before(async () => {
  t = await startTestEngine();
  const accountId = (await t.db.account.findUniqueOrThrow({ where: { email: "alice@example.test" } })).id;
  for (let i = 1; i <= 3; i++) await t.engine.ctx.store.deliver({ raw: raw(i), queueId: `curl${i}`, targets: [{ accountId }] });
});
after(() => t.stop());

// Asynchronous: the engine runs in this process and must keep answering.
async function curl(url: string, extra: string[] = [], user = `alice@example.test:${PASSWORD}`): Promise<string> {
  const { stdout } = await promisify(execFile)("curl", ["-sS", "--max-time", "20", "-k", "--user", user, ...extra, url], { encoding: "latin1" });
  return stdout;
}

for (const mode of ["imap", "imap+starttls", "imaps"] as const) {
  test(`curl over ${mode}: LIST, FETCH by UID, SEARCH`, async () => {
    const base = mode === "imaps" ? `imaps://127.0.0.1:${t.imapsPort}` : `imap://127.0.0.1:${t.imapPort}`;
    const extra = mode === "imap+starttls" ? ["--ssl-reqd"] : [];
    const list = await curl(`${base}/`, extra);
    assert.match(list, /^\* LIST \([^)]*\) "\/" "?INBOX"?\r?$/m, list);
    assert.match(list, /^\* LIST \([^)]*\\Sent[^)]*\) "\/" "?Sent"?\r?$/m, list);

    // curl's ;UID= fetches BODY[] of that UID (RFC 5092 URL form).
    const message = await curl(`${base}/INBOX;UID=2`, extra);
    assert.equal(message, raw(2).toString("latin1"));
    const section = await curl(`${base}/INBOX;UID=3;SECTION=TEXT`, extra);
    assert.equal(section, "Body number 3.\r\n");

    const found = await curl(`${base}/INBOX?SUBJECT%20kumquat`, extra);
    assert.match(found, /^\* SEARCH 2\r?$/m, found);
    const all = await curl(`${base}/INBOX?ALL`, extra);
    assert.match(all, /^\* SEARCH 1 2 3\r?$/m, all);
  });
}

test("curl with a wrong password is refused", async () => {
  await assert.rejects(curl(`imap://127.0.0.1:${t.imapPort}/`, [], "alice@example.test:wrong password"), /Login denied|Access denied|\(67\)/);
});
