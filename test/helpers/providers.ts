/**
 * "Two providers on one machine": a DNS server on loopback and two engines, a.test on
 * 127.0.0.2 and b.test on 127.0.0.3, each with its own database, both with DNS_SERVERS
 * pointing at that server and their MX on one shared port (OUTBOUND_SMTP_PORT), so mail
 * between them goes the way it goes between two providers: MX look-up, connection from
 * the sender's address, STARTTLS, the receiver's checks.
 *
 *   const p = await startProviders();                 // engines in this process
 *   const p = await startProviders({ child: true });  // engines as child processes (SIGKILL tests)
 *   await p.submit(p.a, { to: "bob@b.test" });        // alice@a.test sends through A's submission port
 *   await p.waitFor(() => p.inboxCount(p.b, "bob@b.test"), (n) => n === 1);
 *
 * Users: alice@a.test and bob@b.test, password PASSWORD. Each provider can be stopped and
 * started again on the same database (`stop()`, `start()`), or killed (`kill()`, child mode).
 */
import net from "node:net";
import { spawn, type ChildProcess } from "node:child_process";
import nodemailer from "nodemailer";
import { testDatabase, type TestDatabase } from "./db";
import { startDnsServer, type TestDnsServer, type ZoneRecord } from "./dns-server";
import { freePort } from "./ports";
import { startEngine, type Engine } from "../../mail-engine/engine";
import { addAccount, addDomain } from "../../lib/directory";
import { createLogger, setLogSink } from "../../lib/log";

export const PASSWORD = "correct horse";

export interface Provider {
  name: "a" | "b";
  domain: string;
  ip: string;
  /** The user seeded on this provider: alice@a.test, bob@b.test. */
  user: string;
  data: TestDatabase;
  submissionPort: number;
  /** The environment the engine runs with (child mode passes it to the process). */
  env: Record<string, string>;
  engine: Engine | null;
  child: ChildProcess | null;
  /** Log lines of this provider's engine, parsed. */
  logs: Array<Record<string, unknown>>;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** SIGKILL (child mode): no chance to finish anything. */
  kill(): Promise<void>;
}

export interface Providers {
  dns: TestDnsServer;
  a: Provider;
  b: Provider;
  mxPort: number;
  /** Sends through the provider's submission port as its user (STARTTLS, AUTH PLAIN); resolves to the queue id. */
  submit(p: Provider, mail: { to: string | string[]; subject?: string; text?: string; from?: string; raw?: string | Buffer; envelopeTo?: string[]; dsn?: { ret?: string; envid?: string; notify?: string | string[]; orcpt?: string } }): Promise<string>;
  inboxCount(p: Provider, email: string, subject?: string): Promise<number>;
  waitFor<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs?: number): Promise<T>;
  stop(): Promise<void>;
}

export interface ProviderOptions {
  /** Engines as child processes (mail-engine/main.ts through tsx) instead of in this process. */
  child?: boolean;
  /** Extra settings for both engines (e.g. a short QUEUE_RETRY_FIRST_SECONDS). */
  env?: Record<string, string>;
  /** Extra DNS records. */
  records?: ZoneRecord[];
}

function zone(): ZoneRecord[] {
  return [
    { name: "a.test", type: "MX", data: { preference: 10, exchange: "mx.a.test" } },
    { name: "mx.a.test", type: "A", data: "127.0.0.2" },
    { name: "b.test", type: "MX", data: { preference: 10, exchange: "mx.b.test" } },
    { name: "mx.b.test", type: "A", data: "127.0.0.3" },
  ];
}

async function waitForListener(host: string, port: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect({ port, host }, () => {
        c.destroy();
        resolve(true);
      });
      c.once("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listened on ${host}:${port} within ${timeoutMs} ms`);
}

export async function startProviders(opts: ProviderOptions = {}): Promise<Providers> {
  const dns = await startDnsServer([...zone(), ...(opts.records ?? [])]);
  const mxPort = await freePort();
  const all: Provider[] = [];
  // One log sink for the process: each line goes to the provider named in it.
  setLogSink((line) => {
    const rec = JSON.parse(line) as Record<string, unknown>;
    all.find((p) => p.name === rec.provider)?.logs.push(rec);
    if (process.env.TEST_LOG) process.stderr.write(line + "\n");
  });
  const make = async (name: "a" | "b", ip: string, user: string): Promise<Provider> => {
    const domain = `${name}.test`;
    const submissionPort = await freePort();
    const env: Record<string, string> = {
      BIND_ADDRESS: ip,
      MAIL_HOSTNAME: `mx.${domain}`,
      SMTP_PORT: String(mxPort),
      SUBMISSION_PORT: String(submissionPort),
      SUBMISSIONS_PORT: "0",
      IMAP_PORT: "0",
      IMAPS_PORT: "0",
      POP3_PORT: "0",
      POP3S_PORT: "0",
      DNS_SERVERS: dns.address,
      OUTBOUND_SMTP_PORT: String(mxPort),
      // The other provider is a stranger to the MX's connection policy; no greeting pause keeps tests quick.
      SMTP_GREET_PAUSE_MS: "0",
      QUEUE_POLL_MS: "200",
      ...(opts.env ?? {}),
    };
    const data = await testDatabase(env);
    await addDomain(data.db, domain, "test");
    await addAccount(data.db, { email: user, password: PASSWORD, displayName: name.toUpperCase() }, "test");
    const p: Provider = {
      name,
      domain,
      ip,
      user,
      data,
      submissionPort,
      env,
      engine: null,
      child: null,
      logs: [],
      async start() {
        if (opts.child) {
          const childEnv = { ...process.env, ...env, DATA_DIR: data.dataDir, DATABASE_URL: data.config.databaseUrl, LOG_LEVEL: "info" };
          const child = spawn(process.execPath, ["--import", "tsx", "mail-engine/main.ts"], { env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
          let buf = "";
          const take = (chunk: Buffer) => {
            buf += chunk.toString();
            let nl: number;
            while ((nl = buf.indexOf("\n")) >= 0) {
              const line = buf.slice(0, nl);
              buf = buf.slice(nl + 1);
              try {
                p.logs.push(JSON.parse(line));
              } catch {
                /* not a log line */
              }
              if (process.env.TEST_LOG) process.stderr.write(`[${name}] ${line}\n`);
            }
          };
          child.stdout!.on("data", take);
          child.stderr!.on("data", take);
          p.child = child;
        } else {
          p.engine = await startEngine(data.config, { log: createLogger({ proc: "engine", provider: name }) });
        }
        await waitForListener(ip, mxPort);
        await waitForListener(ip, submissionPort);
      },
      async stop() {
        if (p.engine) await p.engine.stop();
        p.engine = null;
        if (p.child && p.child.exitCode === null) {
          const exited = new Promise((r) => p.child!.once("exit", r));
          p.child.kill("SIGTERM");
          await exited;
        }
        p.child = null;
      },
      async kill() {
        if (!p.child) throw new Error("kill() needs child mode");
        if (p.child.exitCode === null) {
          const exited = new Promise((r) => p.child!.once("exit", r));
          p.child.kill("SIGKILL");
          await exited;
        }
        p.child = null;
      },
    };
    all.push(p);
    return p;
  };
  const a = await make("a", "127.0.0.2", "alice@a.test");
  const b = await make("b", "127.0.0.3", "bob@b.test");
  try {
    await a.start();
    await b.start();
  } catch (err) {
    await Promise.allSettled([a.stop(), b.stop()]);
    throw err;
  }
  const transports = new Map<Provider, nodemailer.Transporter>();
  const providers: Providers = {
    dns,
    a,
    b,
    mxPort,
    async submit(p, mail) {
      let tr = transports.get(p);
      if (!tr) {
        tr = nodemailer.createTransport({ host: p.ip, port: p.submissionPort, secure: false, requireTLS: true, tls: { rejectUnauthorized: false }, auth: { user: p.user, pass: PASSWORD } });
        transports.set(p, tr);
      }
      const to = Array.isArray(mail.to) ? mail.to : [mail.to];
      // RFC 3461 parameters (an SMTP transport's option, not in the generic mail options' type).
      const dsn = mail.dsn ? { dsn: mail.dsn } : {};
      const info = mail.raw
        ? await tr.sendMail({ envelope: { from: mail.from ?? p.user, to: mail.envelopeTo ?? to }, raw: mail.raw, ...dsn })
        : await tr.sendMail({ from: mail.from ?? p.user, to, subject: mail.subject ?? "hello", text: mail.text ?? "Hello from the other provider.\n", ...dsn });
      return info.response.split(" ").pop()!;
    },
    async inboxCount(p, email, subject) {
      return p.data.db.message.count({ where: { account: { email }, mailbox: { name: "INBOX" }, ...(subject ? { subject } : {}) } });
    },
    async waitFor(read, ok, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const v = await read();
        if (ok(v)) return v;
        if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms (last value ${JSON.stringify(v)})`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      for (const tr of transports.values()) tr.close();
      await Promise.allSettled([a.stop(), b.stop()]);
      await Promise.allSettled([a.data.cleanup(), b.data.cleanup()]);
      await dns.close();
    },
  };
  return providers;
}
