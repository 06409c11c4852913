import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { loadConfig, ConfigError } from "../../lib/config";

test("defaults follow the configuration contract", () => {
  const c = loadConfig({ MAIL_HOSTNAME: "mx.example.com" });
  assert.equal(c.dataDir, path.resolve("./data"));
  assert.equal(c.databaseUrl, `file:${path.resolve("./data/mail.db")}`);
  assert.equal(c.provider, "sqlite");
  assert.deepEqual([c.smtpPort, c.submissionPort, c.submissionsPort, c.imapPort, c.imapsPort, c.pop3Port, c.pop3sPort, c.webPort], [25, 587, 465, 143, 993, 110, 995, 3000]);
  assert.equal(c.bindAddress, "0.0.0.0");
  assert.equal(c.maxMessageSize, 50 * 1024 * 1024);
  assert.equal(c.blobStore, "file");
  assert.equal(c.blobInlineMax, 64 * 1024);
  assert.equal(loadConfig({ BLOB_INLINE_MAX: "0" }).blobInlineMax, 0, "0: every message is a file");
});

test("postgresql URLs select PostgreSQL; port 0 disables; DNS servers are a list", () => {
  const c = loadConfig({ DATABASE_URL: "postgresql://u@h/db", SMTP_PORT: "0", DNS_SERVERS: "127.0.0.1:5353, 10.0.0.1" });
  assert.equal(c.provider, "postgresql");
  assert.equal(c.smtpPort, 0);
  assert.deepEqual(c.dnsServers, ["127.0.0.1:5353", "10.0.0.1"]);
});

test("bad values are refused with a message naming the variable", () => {
  assert.throws(() => loadConfig({ SMTP_PORT: "70000" }), (e: unknown) => e instanceof ConfigError && /SMTP_PORT/.test(e.message));
  assert.throws(() => loadConfig({ DATABASE_URL: "mysql://x" }), /DATABASE_URL/);
  assert.throws(() => loadConfig({ TLS_CERT: "/x.pem" }), /TLS_CERT and TLS_KEY/);
  assert.throws(() => loadConfig({ BLOB_INLINE_MAX: "-1" }), /BLOB_INLINE_MAX=-1 must be a whole number/);
  assert.throws(() => loadConfig({ BLOB_STORE: "s3" }), /BLOB_STORE must be/);
});

test("TRUSTED_PROXIES: none by default; addresses and CIDR ranges; anything else refused", () => {
  assert.deepEqual(loadConfig({}).trustedProxies, []);
  assert.deepEqual(loadConfig({ TRUSTED_PROXIES: " 10.0.0.1, 172.16.0.0/12 ,fd00::/8,::1" }).trustedProxies, ["10.0.0.1", "172.16.0.0/12", "fd00::/8", "::1"]);
  for (const bad of ["proxy.example", "10.0.0.0/33", "fd00::/129", "10.0.0.0/8/1", "10.0.0.0/x"]) {
    assert.throws(() => loadConfig({ TRUSTED_PROXIES: bad }), (e: unknown) => e instanceof ConfigError && e.message.includes(`"${bad}"`), bad);
  }
});

test("SMTP connection policy settings: defaults, and TRUSTED_NETWORKS must be CIDRs", () => {
  const c = loadConfig({});
  assert.deepEqual(c.trustedNetworks, []);
  assert.equal(c.smtpClientConnectionLimit, 50);
  assert.equal(c.smtpClientConnectionRate, 600);
  assert.equal(c.smtpCommandDeadlineMs, 60_000);
  assert.equal(c.smtpDataDeadlineMs, 600_000);
  assert.equal(c.smtpGreetPauseMs, 1000);
  assert.equal(c.smtpGreetPassTtlMs, 86_400_000);
  assert.deepEqual(loadConfig({ TRUSTED_NETWORKS: "192.0.2.0/24, 2001:db8::/32,198.51.100.7" }).trustedNetworks, ["192.0.2.0/24", "2001:db8::/32", "198.51.100.7"]);
  assert.equal(loadConfig({ SMTP_GREET_PAUSE_MS: "0", SMTP_CLIENT_CONNECTION_RATE: "0" }).smtpGreetPauseMs, 0);
  for (const bad of ["192.0.2.0/33", "mail.example.com", "10.0.0.0/8/1", "2001:db8::/129"]) {
    assert.throws(() => loadConfig({ TRUSTED_NETWORKS: bad }), (e: unknown) => e instanceof ConfigError && e.message.includes("TRUSTED_NETWORKS") && e.message.includes(bad), bad);
  }
  assert.throws(() => loadConfig({ SMTP_CLIENT_CONNECTION_LIMIT: "0" }), /SMTP_CLIENT_CONNECTION_LIMIT=0 must be a positive/);
});
