/**
 * TLS on the way out, between engine A (a child process, so it can trust a test CA through
 * NODE_EXTRA_CA_CERTS) and recording next hops on loopback:
 *  - sts.test publishes an MTA-STS policy in enforce mode (RFC 8461), served over HTTPS
 *    from 127.0.0.46:443 with a certificate A trusts; its MX (127.0.0.7) offers STARTTLS
 *    with a certificate that does not verify: the mail is deferred, never sent in plaintext.
 *  - tlsfail.test (127.0.0.8) offers STARTTLS but every handshake fails, and publishes no
 *    policy: A tries again at once on a new connection without STARTTLS, as Postfix does.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import https from "node:https";
import { execFileSync } from "node:child_process";
import { SMTPServer } from "smtp-server";
import { startProviders, type Providers } from "../helpers/providers";

interface Sink {
  connections: number;
  mailFrom: number;
  got: Array<{ secure: boolean; data: string }>;
  close(): Promise<void>;
}

async function startSink(ip: string, port: number, extra: Record<string, unknown> = {}): Promise<Sink> {
  const sink: Sink = { connections: 0, mailFrom: 0, got: [], close: async () => undefined };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["AUTH"],
    logger: false,
    ...extra,
    onConnect(_s, cb) {
      sink.connections++;
      cb();
    },
    onMailFrom(_a, _s, cb) {
      sink.mailFrom++;
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        sink.got.push({ secure: session.secure, data: Buffer.concat(chunks).toString() });
        cb(null, "2.0.0 taken");
      });
    },
  });
  server.on("error", () => undefined); // failed handshakes are the point of one of these sinks
  await new Promise<void>((resolve, reject) => {
    server.server.once("error", reject);
    server.listen(port, ip, () => resolve());
  });
  sink.close = () => new Promise<void>((r) => server.close(() => r()));
  return sink;
}

const STS_IP = "127.0.0.46";

/** mailauth fetches policies from port 443 only: a user without the right to bind it skips the MTA-STS case (CI runs as root). */
const bind443 = await new Promise<string | false>((resolve) => {
  const probe = https.createServer();
  probe.once("error", (err: NodeJS.ErrnoException) => resolve(`cannot listen on ${STS_IP}:443 (${err.code}): run as root or grant node CAP_NET_BIND_SERVICE`));
  probe.listen(443, STS_IP, () => probe.close(() => resolve(false)));
});
let p: Providers;
let dir: string;
let policyServer: https.Server;
let policyFetches = 0;
let sts: Sink;
let tlsFail: Sink;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mta-sts-"));
  // A self-signed certificate for the policy host, trusted by engine A as its own CA.
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=mta-sts.sts.test", "-addext", "subjectAltName=DNS:mta-sts.sts.test",
    "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem")], { stdio: "ignore" });
  policyServer = https.createServer({ key: fs.readFileSync(path.join(dir, "key.pem")), cert: fs.readFileSync(path.join(dir, "cert.pem")) }, (req, res) => {
    policyFetches++;
    if (req.url !== "/.well-known/mta-sts.txt" || req.headers.host !== "mta-sts.sts.test") return void res.writeHead(404).end();
    res.writeHead(200, { "Content-Type": "text/plain" }).end("version: STSv1\r\nmode: enforce\r\nmx: mx.sts.test\r\nmax_age: 86400\r\n");
  });
  if (!bind443) {
    await new Promise<void>((resolve, reject) => {
      policyServer.once("error", reject);
      policyServer.listen(443, STS_IP, () => resolve());
    });
  }
  p = await startProviders({
    child: true,
    env: { NODE_EXTRA_CA_CERTS: path.join(dir, "cert.pem"), QUEUE_RETRY_FIRST_SECONDS: "1", QUEUE_RETRY_MAX_SECONDS: "1" },
    records: [
      { name: "sts.test", type: "MX", data: { preference: 10, exchange: "mx.sts.test" } },
      { name: "mx.sts.test", type: "A", data: "127.0.0.7" },
      { name: "_mta-sts.sts.test", type: "TXT", data: "v=STSv1; id=20261202" },
      { name: "mta-sts.sts.test", type: "A", data: STS_IP },
      { name: "tlsfail.test", type: "MX", data: { preference: 10, exchange: "mx.tlsfail.test" } },
      { name: "mx.tlsfail.test", type: "A", data: "127.0.0.8" },
    ],
  });
  // smtp-server's built-in certificate is for "localhost": it does not verify for mx.sts.test.
  sts = await startSink("127.0.0.7", p.mxPort);
  // TLS 1.1 at most: A asks for 1.2 or later, so every handshake fails.
  tlsFail = await startSink("127.0.0.8", p.mxPort, { minVersion: "TLSv1", maxVersion: "TLSv1.1" });
});

after(async () => {
  await p?.stop();
  await sts?.close();
  await tlsFail?.close();
  await new Promise<void>((r) => (policyServer?.listening ? policyServer.close(() => r()) : r()));
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test("MTA-STS enforce: the MX's certificate does not verify, so the mail is deferred and never sent in plaintext", { skip: bind443 }, async () => {
  const id = await p.submit(p.a, { to: "someone@sts.test", subject: "to an enforcing domain" });
  // Two attempts (the retry comes after 1 s), each refused for the certificate.
  const deferred = await p.waitFor(() => p.a.data.db.deliveryLog.findMany({ where: { queueId: id, event: "deferred" }, orderBy: { createdAt: "asc" } }), (l) => l.length >= 2, 30_000);
  assert.ok(policyFetches >= 1, "A fetched the policy over HTTPS");
  for (const d of deferred) assert.match(d.detail, /^4\.4\.1 connection to mx\.sts\.test\[127\.0\.0\.7\] failed: .*(certificate|self.signed|altnames)/i, d.detail);
  assert.ok(sts.connections >= 2, "A connected and tried STARTTLS");
  assert.equal(sts.mailFrom, 0, "no MAIL FROM ever reached the host: nothing in plaintext");
  assert.equal(sts.got.length, 0);
  assert.ok(!p.a.logs.some((l) => l.event === "queue.tls_fallback" && String(l.host).startsWith("mx.sts.test")), "no plaintext fallback under enforce");
  const r = await p.a.data.db.outboundRecipient.findFirstOrThrow({ where: { messageId: id } });
  assert.ok(r.status === "deferred" || r.status === "delivering", r.status);
});

test("opportunistic TLS: a STARTTLS handshake that fails on a host without MTA-STS is followed by a plaintext delivery on a new connection", async () => {
  const id = await p.submit(p.a, { to: "someone@tlsfail.test", subject: "through a broken STARTTLS" });
  const got = await p.waitFor(async () => tlsFail.got.find((g) => g.data.includes("Subject: through a broken STARTTLS")), Boolean, 30_000);
  assert.equal(got!.secure, false, "delivered in plaintext");
  assert.ok(tlsFail.connections >= 2, "a failed TLS connection, then a plaintext one");
  const delivered = await p.waitFor(() => p.a.data.db.deliveryLog.findFirst({ where: { queueId: id, event: "delivered" } }), Boolean);
  assert.match(delivered!.tls, /^plaintext after STARTTLS failed: /, delivered!.tls);
  assert.ok(p.a.logs.some((l) => l.event === "queue.tls_fallback" && /^mx\.tlsfail\.test\[127\.0\.0\.8\]$/.test(String(l.host))));
  assert.equal(await p.a.data.db.deliveryLog.count({ where: { queueId: id, event: "deferred" } }), 0, "not deferred: the fallback is immediate");
});
