/**
 * Smart-host mode: with RELAY_HOST set, mail for every remote domain goes to that host
 * (here a recording SMTP server on loopback that wants AUTH) instead of the domain's MX.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { SMTPServer } from "smtp-server";
import { startProviders } from "../helpers/providers";

test("RELAY_HOST: mail for b.test goes to the relay, authenticated with RELAY_USER, not to b.test's MX", async () => {
  const got: Array<{ from: string; to: string[]; user: string; data: string }> = [];
  const relay = new SMTPServer({
    disabledCommands: ["STARTTLS"],
    allowInsecureAuth: true,
    authMethods: ["PLAIN", "LOGIN"],
    onAuth(auth, _s, cb) {
      if (auth.username === "relayuser" && auth.password === "relay secret") return cb(null, { user: auth.username });
      cb(new Error("535 5.7.8 bad credentials"));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        got.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "", to: session.envelope.rcptTo.map((r) => r.address), user: String(session.user), data: Buffer.concat(chunks).toString() });
        cb(null, "2.0.0 relayed");
      });
    },
  });
  await new Promise<void>((r) => relay.listen(0, "127.0.0.1", () => r()));
  const port = (relay.server.address() as { port: number }).port;
  const p = await startProviders({ env: { RELAY_HOST: "127.0.0.1", RELAY_PORT: String(port), RELAY_USER: "relayuser", RELAY_PASSWORD: "relay secret", RELAY_TLS: "none" } });
  try {
    const id = await p.submit(p.a, { to: ["bob@b.test", "carol@elsewhere.test"], subject: "via relay" });
    await p.waitFor(async () => got.length, (n) => n >= 1);
    assert.equal(got.length, 1, "one transaction carries both recipients");
    assert.equal(got[0].from, "alice@a.test");
    assert.deepEqual(got[0].to.sort(), ["bob@b.test", "carol@elsewhere.test"]);
    assert.equal(got[0].user, "relayuser");
    assert.match(got[0].data, /Subject: via relay/);
    assert.equal(await p.inboxCount(p.b, "bob@b.test", "via relay"), 0, "b.test's MX was not used");
    const log = await p.waitFor(() => p.a.data.db.deliveryLog.findMany({ where: { queueId: id, event: "delivered" } }), (l) => l.length === 2);
    assert.ok(log.every((l) => l.remoteHost === "127.0.0.1" && /^250 2\.0\.0 relayed/.test(l.detail)));
  } finally {
    await p.stop();
    await new Promise<void>((r) => relay.close(() => r()));
  }
});
