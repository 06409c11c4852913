/**
 * A private Dovecot (Debian's dovecot-imapd) for side-by-side IMAP runs: its own config,
 * base_dir, state_dir and log under a temporary directory, IMAP on one loopback port,
 * one passwd-file user whose mail is a Maildir written directly by the benchmark, owned
 * by nobody/nogroup (so no system user is made). The system's Dovecot is not touched.
 * Dovecot runs one imap process per signed-in session, so the per-session memory is read
 * from those processes.
 */
import { execFile, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { deliveryIds } from "./postfix";

const run = promisify(execFile);

export const DOVECOT_BIN = "/usr/sbin/dovecot";

export function dovecotInstalled(): boolean {
  return fs.existsSync(DOVECOT_BIN) && fs.existsSync("/usr/lib/dovecot/imap");
}

export interface DovecotInstance {
  dir: string;
  port: number;
  version: string;
  user: string;
  password: string;
  /** Writes the messages into the user's Maildir (cur/, seen flag clear, mtime = internal date). */
  fill(messages: Array<{ raw: Buffer; date: Date }>): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Pids of the imap processes (one per signed-in session). */
  imapPids(): number[];
  logTail(lines?: number): string;
  cleanup(): void;
}

/**
 * `passwordHash`: the user's stored password as Dovecot reads it ("{PLAIN}secret", or
 * "{ARGON2ID}$argon2id$..." to make it check the same hash our sign-in does); plain by default.
 */
export async function createDovecot(opts: { port: number; maxSessions: number; passwordHash?: (password: string) => Promise<string> }): Promise<DovecotInstance> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-dovecot-"));
  fs.chmodSync(dir, 0o755);
  const { uid, gid } = deliveryIds();
  const home = path.join(dir, "home", "bench");
  const maildir = path.join(home, "Maildir");
  for (const sub of ["cur", "new", "tmp"]) fs.mkdirSync(path.join(maildir, sub), { recursive: true });
  fs.mkdirSync(path.join(dir, "state"));
  const user = "bench";
  const password = "bench-password";
  const stored = opts.passwordHash ? await opts.passwordHash(password) : `{PLAIN}${password}`;
  fs.writeFileSync(path.join(dir, "users"), `${user}:${stored}:${uid}:${gid}::${home}::\n`);
  fs.writeFileSync(
    path.join(dir, "dovecot.conf"),
    `# private Dovecot for npm run bench -- imap; the system instance is untouched
instance_name = bench-dovecot-${path.basename(dir)}
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = ${Math.min(uid, 500)}
first_valid_gid = 0
mail_location = maildir:~/Maildir
default_client_limit = ${opts.maxSessions + 100}
mail_max_userip_connections = ${opts.maxSessions + 100}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/users
}
userdb {
  driver = passwd-file
  args = username_format=%u ${dir}/users
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${opts.port}
  }
  inet_listener imaps {
    port = 0
  }
  process_limit = ${opts.maxSessions + 100}
}
service imap {
  process_limit = ${opts.maxSessions + 100}
}
`,
  );
  const conf = path.join(dir, "dovecot.conf");
  const version = (await run(DOVECOT_BIN, ["--version"])).stdout.trim();
  const logTail = (lines = 10) => {
    try {
      return fs.readFileSync(path.join(dir, "dovecot.log"), "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  };
  const masterPid = () => Number(fs.readFileSync(path.join(dir, "run", "master.pid"), "utf8").trim());
  return {
    dir,
    port: opts.port,
    version,
    user,
    password,
    fill(messages) {
      // dovecot-uidlist (version 3: "3 V<uidvalidity> N<next uid>", then "<uid> :<file name>")
      // gives UID i+1 to message i, as our store does, so both servers fetch the same messages.
      const uidlist = [`3 V${Math.floor(Date.now() / 1000)} N${messages.length + 1}`];
      messages.forEach((m, i) => {
        // Maildir name: time.unique.host, ":2," info with no flags (https://cr.yp.to/proto/maildir.html).
        const secs = Math.floor(m.date.getTime() / 1000);
        // Dovecot keeps Maildir files with LF line ends and adds the CRs on output; S= is the file's size.
        const data = Buffer.from(m.raw.toString("latin1").replace(/\r\n/g, "\n"), "latin1");
        const file = path.join(maildir, "cur", `${secs}.M${i}P1.bench,S=${data.length}:2,`);
        fs.writeFileSync(file, data);
        uidlist.push(`${i + 1} :${path.basename(file).replace(/:2,$/, "")}`);
        fs.utimesSync(file, m.date, m.date);
      });
      fs.writeFileSync(path.join(maildir, "dovecot-uidlist"), uidlist.join("\n") + "\n");
      fs.chownSync(path.join(maildir, "dovecot-uidlist"), uid, gid);
      fs.chownSync(path.join(dir, "home"), uid, gid);
      for (const p of [home, maildir, ...["cur", "new", "tmp"].map((s) => path.join(maildir, s))]) fs.chownSync(p, uid, gid);
      for (const f of fs.readdirSync(path.join(maildir, "cur"))) fs.chownSync(path.join(maildir, "cur", f), uid, gid);
    },
    async start() {
      // The master daemonises: wait for the foreground process to exit, not for its output
      // pipes to close (the daemon would inherit them and keep them open).
      const child = spawn(DOVECOT_BIN, ["-c", conf], { stdio: "ignore" });
      const code = await new Promise<number | null>((resolve, reject) => {
        child.once("error", reject);
        child.once("exit", resolve);
      });
      if (code !== 0) throw new Error(`dovecot did not start (exit ${code}): ${logTail(5)}`);
    },
    async stop() {
      let pid: number;
      try {
        pid = masterPid();
      } catch {
        return;
      }
      // SIGTERM to the master stops every Dovecot process of this instance.
      try {
        process.kill(pid, "SIGTERM");
      } catch {
        return;
      }
      for (let i = 0; i < 100; i++) {
        try {
          process.kill(pid, 0);
        } catch {
          return;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    imapPids() {
      const out: number[] = [];
      for (const e of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(e)) continue;
        try {
          if (fs.readlinkSync(`/proc/${e}/exe`) === "/usr/lib/dovecot/imap") out.push(Number(e));
        } catch {
          /* gone meanwhile, or not ours to read */
        }
      }
      return out.filter((pid) => isUnder(pid, masterPid()));
    },
    logTail,
    cleanup() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Whether `pid` descends from `ancestor` (parent pids from /proc/<pid>/stat). */
function isUnder(pid: number, ancestor: number): boolean {
  for (let p = pid, i = 0; p > 1 && i < 10; i++) {
    if (p === ancestor) return true;
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, "utf8");
      p = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    } catch {
      return false;
    }
  }
  return false;
}
