/** Start-up errors of the SMTP listeners name the setting to change. */
import net from "node:net";
import { test } from "node:test";
import assert from "node:assert/strict";
import { testDatabase } from "../helpers/db";
import { startEngine } from "../../mail-engine/engine";
import { createLogger } from "../../lib/log";
import { listenErrorHint } from "../../mail-engine/smtp/listen-errors";

test("a busy SUBMISSION_PORT fails the start with an error naming SUBMISSION_PORT", async () => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", () => r()));
  const busy = (blocker.address() as net.AddressInfo).port;
  const t = await testDatabase({ SMTP_PORT: "0", SUBMISSION_PORT: String(busy), SUBMISSIONS_PORT: "0", IMAP_PORT: "0", IMAPS_PORT: "0", POP3_PORT: "0", POP3S_PORT: "0" });
  try {
    await assert.rejects(startEngine(t.config, { log: createLogger({ proc: "engine" }) }), (err: Error) => {
      assert.match(err.message, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${busy} for submission \\(SUBMISSION_PORT\\)`));
      assert.match(err.message, /set SUBMISSION_PORT to a free port/);
      return true;
    });
  } finally {
    blocker.close();
    await t.cleanup();
  }
});

test("EACCES points to the unprivileged-ports command of the README", () => {
  const hint = listenErrorHint("mx", 25, "EACCES");
  assert.match(hint, /CAP_NET_BIND_SERVICE/);
  assert.ok(hint.includes("SMTP_PORT=2525 SUBMISSION_PORT=2587 SUBMISSIONS_PORT=2465 IMAP_PORT=2143 IMAPS_PORT=2993 POP3_PORT=2110 POP3S_PORT=2995 npm start"));
  assert.match(listenErrorHint("submissions", 465, "EADDRINUSE"), /set SUBMISSIONS_PORT/);
});
