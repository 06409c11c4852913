/**
 * A client nobody here wrote: Python's imaplib signs in over IMAPS (implicit TLS),
 * lists, selects INBOX and fetches a message delivered over SMTP, and over the plain
 * port with STARTTLS.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import nodemailer from "nodemailer";
import { startTestEngine, PASSWORD, type TestEngine } from "../helpers/engine";

const run = promisify(execFile);
let t: TestEngine;
before(async () => {
  t = await startTestEngine();
  const tr = nodemailer.createTransport({ host: "127.0.0.1", port: t.mxPort, secure: false, ignoreTLS: true });
  await tr.sendMail({ from: "sender@remote.example", to: "alice@example.test", subject: "Hello from Python's test", text: "python body line" });
  tr.close();
});
after(() => t.stop());

const SCRIPT = `
import imaplib, ssl, sys, json
port, mode, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
if mode == "imaps":
    m = imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=ctx)
else:
    m = imaplib.IMAP4("127.0.0.1", port)
    m.starttls(ssl_context=ctx)
out = {"caps": list(m.capabilities)}
out["login"] = m.login(user, password)[0]
typ, boxes = m.list()
out["list"] = [b.decode() for b in boxes]
typ, data = m.select("INBOX")
out["exists"] = int(data[0])
typ, data = m.search(None, "SUBJECT", '"from Python"')
out["search"] = data[0].decode()
n = data[0].split()[-1]
typ, data = m.fetch(n, "(RFC822.SIZE BODY.PEEK[HEADER.FIELDS (SUBJECT)] BODY.PEEK[TEXT])")
out["fetch"] = [x.decode() if isinstance(x, bytes) else [y.decode() for y in x] for x in data]
typ, data = m.uid("STORE", "1", "+FLAGS", "(\\\\Flagged)")
out["store"] = typ
m.close()
out["logout"] = m.logout()[0]
print(json.dumps(out))
`;

for (const mode of ["imaps", "starttls"] as const) {
  test(`imaplib over ${mode}: login, list, select, search, fetch, store, logout`, async () => {
    const port = mode === "imaps" ? t.imapsPort : t.imapPort;
    const { stdout } = await run("python3", ["-c", SCRIPT, String(port), mode, "alice@example.test", PASSWORD], { timeout: 30_000 });
    const out = JSON.parse(stdout);
    assert.ok(out.caps.includes("IMAP4REV1"));
    assert.equal(out.login, "OK");
    assert.ok(out.list.some((l: string) => /\\Sent\) "\/" "?Sent/.test(l)), out.list.join("\n"));
    assert.equal(out.exists, 1);
    assert.equal(out.search, "1");
    const fetched = JSON.stringify(out.fetch);
    assert.match(fetched, /Subject: Hello from Python's test/);
    assert.match(fetched, /python body line/);
    assert.equal(out.store, "OK");
    assert.equal(out.logout, "BYE");
  });
}
