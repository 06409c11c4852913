/**
 * The configuration contract of ARCHITECTURE.md: environment variables, with a `.env`
 * file read too. Both processes and mailctl read it through loadConfig().
 */
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { config as loadDotenv } from "dotenv";

export interface Config {
  dataDir: string;
  databaseUrl: string;
  provider: "sqlite" | "postgresql";
  hostname: string;
  bindAddress: string;
  smtpPort: number;
  submissionPort: number;
  submissionsPort: number;
  imapPort: number;
  imapsPort: number;
  pop3Port: number;
  pop3sPort: number;
  /** IMAP: a connection that has not signed in within this many ms is closed. */
  imapLoginTimeoutMs: number;
  webPort: number;
  tlsCert: string | null;
  tlsKey: string | null;
  dnsServers: string[];
  /** How long the MX keeps DNS answers of its authentication checks (SPF, DKIM, DMARC); 0 = not at all. */
  dnsCacheMs: number;
  /** The key of SRS addresses (SRS_SECRET); null: a random one kept in DATA_DIR/srs-secret. */
  srsSecret: string | null;
  /** Largest message accepted, in bytes (SIZE, RFC 1870). */
  maxMessageSize: number;
  /** Where raw messages live: "file" (DATA_DIR/blobs, small ones in the database) or "database" (all). */
  blobStore: "file" | "database";
  /** With BLOB_STORE=file: messages up to this many bytes are kept in the database row; 0 = always files. */
  blobInlineMax: number;
  logLevel: "debug" | "info" | "warn" | "error";
  /** Failed sign-ins (web, SMTP AUTH, IMAP) from one address before it is locked out. */
  authLockoutFailures: number;
  authLockoutMinutes: number;
  /** Delay added to the answer of the n-th failure: n x this, at most 5 s. */
  authFailureDelayMs: number;
  /**
   * Addresses and CIDR ranges of reverse proxies in front of the web app whose
   * X-Forwarded-For is believed; empty: the socket's address is the client.
   */
  trustedProxies: string[];
  /** Client networks exempt from the SMTP connection policy, besides the host's own addresses (CIDR list). */
  trustedNetworks: string[];
  /** Concurrent SMTP connections one client address may hold on one listener (Postfix: smtpd_client_connection_count_limit). */
  smtpClientConnectionLimit: number;
  /** New SMTP connections one client address may open per minute on one listener; 0 = no limit. */
  smtpClientConnectionRate: number;
  /** A command line must arrive whole within this many ms of its first byte. */
  smtpCommandDeadlineMs: number;
  /** The DATA phase (354 to the final dot) must complete within this many ms. */
  smtpDataDeadlineMs: number;
  /** MX: how long to wait before the greeting to catch clients that talk first; 0 = no pause. */
  smtpGreetPauseMs: number;
  /** MX: a client address that waited for the greeting skips the pause for this many ms. */
  smtpGreetPassTtlMs: number;
  /** Outbound delivery (mail-engine/queue): port of destination MX hosts (25; tests use another). */
  outboundSmtpPort: number;
  /** Local address outbound connections leave from; null = the system's choice. */
  outboundBindAddress: string | null;
  /** Outbound SMTP connections open at a time, overall and per destination domain (Postfix: default_process_limit 100, default_destination_concurrency_limit 20). */
  outboundConcurrency: number;
  outboundDestinationConcurrency: number;
  /** Retry schedule: the first retry after this many ms, doubling, at most queueRetryMaxMs; given up after queueLifetimeMs. */
  queueRetryFirstMs: number;
  queueRetryMaxMs: number;
  queueLifetimeMs: number;
  /** A "delayed" DSN is sent once a recipient has waited this long (0 = never). */
  queueDelayNoticeMs: number;
  /** A claimed recipient whose worker has not reported by then is due again (a crashed engine). */
  queueLeaseMs: number;
  /** How often the worker looks for due mail queued by other processes (its own is sent at once). */
  queuePollMs: number;
  /** Smart host: everything goes through it instead of the destination's MX. */
  relay: { host: string; port: number; user: string | null; password: string | null; tls: "starttls" | "tls" | "none" } | null;
}

export class ConfigError extends Error {}

function port(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new ConfigError(`${name}=${raw} is not a port number (0 disables the listener, 1-65535 binds it)`);
  }
  return n;
}

function positiveInt(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new ConfigError(`${name}=${raw} must be a positive whole number`);
  return n;
}

function nonNegativeInt(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${name}=${raw} must be a whole number of bytes, 0 or more`);
  return n;
}

function count(env: Record<string, string | undefined>, name: string, fallback: number, unit: string): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${name}=${raw} must be a whole number of ${unit}, 0 or more`);
  return n;
}

/** A comma list of CIDRs (a bare address is a /32 or /128); checked here so a typo stops the start. */
function cidrList(env: Record<string, string | undefined>, name: string): string[] {
  const items = (env[name] || "").split(",").map((s) => s.trim()).filter(Boolean);
  for (const item of items) {
    const [addr, bits, extra] = item.split("/");
    const family = net.isIP(addr);
    const max = family === 4 ? 32 : 128;
    const ok = family !== 0 && extra === undefined && (bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= max));
    if (!ok) throw new ConfigError(`${name}: "${item}" is not an address or CIDR network (e.g. 192.0.2.0/24, 2001:db8::/32)`);
  }
  return items;
}

let dotenvLoaded = false;

/** Reads the configuration; `.env` in the working directory fills variables that are not set. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  if (env === process.env && !dotenvLoaded) {
    dotenvLoaded = true;
    loadDotenv({ quiet: true } as never);
  }
  // turbopackIgnore: DATA_DIR is run-time data, never part of the web app's build; without
  // the hint, Next's file tracing cannot bound this path and copies the whole project.
  const dataDir = path.resolve(/* turbopackIgnore: true */ env.DATA_DIR || "./data");
  const databaseUrl = env.DATABASE_URL || `file:${path.join(dataDir, "mail.db")}`;
  let provider: Config["provider"];
  if (databaseUrl.startsWith("file:")) provider = "sqlite";
  else if (/^postgres(ql)?:\/\//.test(databaseUrl)) provider = "postgresql";
  else throw new ConfigError(`DATABASE_URL must start with file: (SQLite) or postgresql:// (PostgreSQL), got ${databaseUrl}`);
  const blobStore = (env.BLOB_STORE || "file") as Config["blobStore"];
  if (blobStore !== "file" && blobStore !== "database") throw new ConfigError(`BLOB_STORE must be "file" or "database", got ${blobStore}`);
  const logLevel = (env.LOG_LEVEL || "info") as Config["logLevel"];
  if (!["debug", "info", "warn", "error"].includes(logLevel)) throw new ConfigError(`LOG_LEVEL must be debug, info, warn or error, got ${logLevel}`);
  const tlsCert = env.TLS_CERT || null;
  const tlsKey = env.TLS_KEY || null;
  if ((tlsCert === null) !== (tlsKey === null)) throw new ConfigError("TLS_CERT and TLS_KEY must be set together (or neither, for a generated self-signed pair)");
  return {
    dataDir,
    databaseUrl,
    provider,
    hostname: (env.MAIL_HOSTNAME || os.hostname()).toLowerCase(),
    bindAddress: env.BIND_ADDRESS || "0.0.0.0",
    smtpPort: port(env, "SMTP_PORT", 25),
    submissionPort: port(env, "SUBMISSION_PORT", 587),
    submissionsPort: port(env, "SUBMISSIONS_PORT", 465),
    imapPort: port(env, "IMAP_PORT", 143),
    imapsPort: port(env, "IMAPS_PORT", 993),
    pop3Port: port(env, "POP3_PORT", 110),
    pop3sPort: port(env, "POP3S_PORT", 995),
    imapLoginTimeoutMs: positiveInt(env, "IMAP_LOGIN_TIMEOUT_SECONDS", 60) * 1000,
    webPort: port(env, "WEB_PORT", 3000),
    tlsCert,
    tlsKey,
    dnsServers: (env.DNS_SERVERS || "").split(",").map((s) => s.trim()).filter(Boolean),
    dnsCacheMs: count(env, "DNS_CACHE_SECONDS", 60, "seconds") * 1000,
    srsSecret: env.SRS_SECRET || null,
    maxMessageSize: positiveInt(env, "MAX_MESSAGE_SIZE", 50 * 1024 * 1024),
    blobStore,
    blobInlineMax: nonNegativeInt(env, "BLOB_INLINE_MAX", 64 * 1024),
    logLevel,
    authLockoutFailures: positiveInt(env, "AUTH_LOCKOUT_FAILURES", 10),
    authLockoutMinutes: positiveInt(env, "AUTH_LOCKOUT_MINUTES", 15),
    authFailureDelayMs: positiveInt(env, "AUTH_FAILURE_DELAY_MS", 250),
    trustedProxies: cidrList(env, "TRUSTED_PROXIES"),
    trustedNetworks: cidrList(env, "TRUSTED_NETWORKS"),
    smtpClientConnectionLimit: positiveInt(env, "SMTP_CLIENT_CONNECTION_LIMIT", 50),
    smtpClientConnectionRate: count(env, "SMTP_CLIENT_CONNECTION_RATE", 600, "connections per minute"),
    smtpCommandDeadlineMs: positiveInt(env, "SMTP_COMMAND_DEADLINE_SECONDS", 60) * 1000,
    smtpDataDeadlineMs: positiveInt(env, "SMTP_DATA_DEADLINE_SECONDS", 600) * 1000,
    smtpGreetPauseMs: count(env, "SMTP_GREET_PAUSE_MS", 1000, "milliseconds"),
    smtpGreetPassTtlMs: count(env, "SMTP_GREET_PASS_TTL_SECONDS", 86_400, "seconds") * 1000,
    outboundSmtpPort: port(env, "OUTBOUND_SMTP_PORT", 25) || 25,
    outboundBindAddress: outboundBind(env),
    outboundConcurrency: positiveInt(env, "OUTBOUND_CONCURRENCY", 100),
    outboundDestinationConcurrency: positiveInt(env, "OUTBOUND_DESTINATION_CONCURRENCY", 20),
    queueRetryFirstMs: positiveInt(env, "QUEUE_RETRY_FIRST_SECONDS", 300) * 1000,
    queueRetryMaxMs: positiveInt(env, "QUEUE_RETRY_MAX_SECONDS", 4 * 3600) * 1000,
    queueLifetimeMs: positiveInt(env, "QUEUE_LIFETIME_SECONDS", 5 * 86_400) * 1000,
    queueDelayNoticeMs: count(env, "QUEUE_DELAY_NOTICE_SECONDS", 4 * 3600, "seconds") * 1000,
    queueLeaseMs: positiveInt(env, "QUEUE_LEASE_SECONDS", 600) * 1000,
    queuePollMs: positiveInt(env, "QUEUE_POLL_MS", 500),
    relay: relay(env),
  };
}

/** OUTBOUND_BIND_ADDRESS, else BIND_ADDRESS when it names one address (not 0.0.0.0 / ::), as Postfix's smtp_bind_address. */
function outboundBind(env: Record<string, string | undefined>): string | null {
  const explicit = env.OUTBOUND_BIND_ADDRESS?.trim();
  if (explicit) {
    if (!net.isIP(explicit)) throw new ConfigError(`OUTBOUND_BIND_ADDRESS=${explicit} is not an IP address`);
    return explicit;
  }
  const bind = env.BIND_ADDRESS?.trim();
  return bind && net.isIP(bind) && bind !== "0.0.0.0" && bind !== "::" ? bind : null;
}

function relay(env: Record<string, string | undefined>): Config["relay"] {
  const host = env.RELAY_HOST?.trim();
  if (!host) return null;
  const tls = (env.RELAY_TLS || "starttls") as "starttls" | "tls" | "none";
  if (!["starttls", "tls", "none"].includes(tls)) throw new ConfigError(`RELAY_TLS must be starttls, tls or none, got ${tls}`);
  const user = env.RELAY_USER || null;
  const password = env.RELAY_PASSWORD || null;
  if ((user === null) !== (password === null)) throw new ConfigError("RELAY_USER and RELAY_PASSWORD must be set together");
  return { host, port: port(env, "RELAY_PORT", tls === "tls" ? 465 : 587) || 587, user, password, tls };
}

/** The SQLite file path of a `file:` URL. */
export function sqlitePath(databaseUrl: string): string {
  return path.resolve(databaseUrl.replace(/^file:/, "").replace(/\?.*$/, ""));
}

export function ensureDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
}
