/**
 * The engine on random loopback ports over a fresh test database, with a domain
 * (example.test), alice and bob (password "correct horse"), for integration tests.
 */
import { testDatabase, type TestDatabase } from "./db";
import { startEngine, type Engine } from "../../mail-engine/engine";
import { addAccount, addDomain } from "../../lib/directory";
import { createLogger, setLogSink } from "../../lib/log";

export const PASSWORD = "correct horse";

export interface TestEngine extends TestDatabase {
  engine: Engine;
  mxPort: number;
  submissionPort: number;
  submissionsPort: number;
  pop3Port: number;
  pop3sPort: number;
  imapPort: number;
  imapsPort: number;
  /** Log lines the engine wrote, parsed. */
  logs: Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

/** `queueWorker`: deliver queued mail (off by default: these tests look at the queue as submission left it). */
export async function startTestEngine(env: Record<string, string> = {}, opts: { seed?: boolean; queueWorker?: boolean } = {}): Promise<TestEngine> {
  const t = await testDatabase({ SMTP_PORT: "1", SUBMISSION_PORT: "1", SUBMISSIONS_PORT: "1", IMAP_PORT: "1", IMAPS_PORT: "1", POP3_PORT: "1", POP3S_PORT: "1", ...env });
  const logs: Array<Record<string, unknown>> = [];
  setLogSink((line) => {
    logs.push(JSON.parse(line));
    if (process.env.TEST_LOG) process.stderr.write(line + "\n");
  });
  if (opts.seed !== false) {
    await addDomain(t.db, "example.test", "test");
    await addAccount(t.db, { email: "alice@example.test", password: PASSWORD, displayName: "Alice" }, "test");
    await addAccount(t.db, { email: "bob@example.test", password: PASSWORD, displayName: "Bob" }, "test");
  }
  const engine = await startEngine(t.config, { randomPorts: true, log: createLogger({ proc: "engine" }), queueWorker: opts.queueWorker ?? false });
  const stop = async () => {
    await engine.stop();
    await t.cleanup();
  };
  return {
    ...t,
    engine,
    mxPort: engine.smtp.ports.mx ?? 0,
    submissionPort: engine.smtp.ports.submission ?? 0,
    submissionsPort: engine.smtp.ports.submissions ?? 0,
    pop3Port: engine.pop3.ports.pop3 ?? 0,
    pop3sPort: engine.pop3.ports.pop3s ?? 0,
    imapPort: engine.imap.ports.imap ?? 0,
    imapsPort: engine.imap.ports.imaps ?? 0,
    logs,
    stop,
    cleanup: stop,
  };
}
