/**
 * mailctl: domains, users, aliases and the queue from a shell.
 *   mailctl domain add|list|remove|dns|dkim ...    mailctl user add|list|passwd|remove ...
 *   mailctl alias add|list|remove ...     mailctl queue list|retry|delete|bounce|trace ...
 * Reads the same configuration as the engine (environment and .env) and migrates the
 * database first, so it works before the first `npm start`.
 */
import readline from "node:readline";
import { loadConfig, ConfigError, type Config } from "../lib/config";
import { migrate } from "../lib/db/migrate";
import { createDb, type Db } from "../lib/db/client";
import { setLogLevel } from "../lib/log";
import * as dir from "../lib/directory";
import * as queue from "../lib/queue/admin";
import { formatTrace, traceMessage } from "../lib/queue/trace";
import { parseAddress } from "../lib/domain/address";
import { formatSize } from "../lib/web/format";
import { DkimKeyError, listDkimKeys, retireDkimKeys, rotateDkimKeys } from "../lib/dkim/keys";
import { domainDnsRecords, mtaStsPolicy, ptrRequest } from "../lib/client-setup/domain-records";
import { zoneLine } from "../lib/client-setup/dns-records";

const USAGE = `usage: mailctl <command>

  domain add <domain>                      accept mail for a domain (and make its DKIM keys)
  domain list
  domain remove <domain> [--force]         --force also deletes its accounts and their mail
  domain dns <domain>                      every DNS record the domain needs
  domain dkim list <domain>
  domain dkim rotate <domain>              new signing keys; the old ones stay published
  domain dkim retire <domain> [<selector>] stop publishing rotated-out keys
  user add <address> [--password <pw>] [--admin] [--name <display name>] [--quota <size, e.g. 2G>]
  user list [<domain>]
  user passwd <address> [--password <pw>]
  user remove <address>
  alias add <address|@domain> <destination>   @domain is the domain's catch-all
  alias list
  alias remove <address|@domain> [<destination>]
  queue list
  queue retry <queue id|all>               try deferred recipients again now
  queue delete <queue id>
  queue bounce <queue id>                  give up now: the sender gets a DSN (sent by the running engine)
  queue trace <queue id>                   received, each attempt, delivered or bounced

Without --password, the password is read from the terminal (or the first line of stdin).`;

class UsageError extends Error {}

interface Args {
  positional: string[];
  flags: Record<string, string | true>;
}

const VALUE_FLAGS = new Set(["password", "name", "quota"]);

export function parseArgs(argv: string[]): Args {
  const positional: string[] = [];
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith("--")) {
      const [name, inline] = a.slice(2).split("=", 2);
      if (VALUE_FLAGS.has(name)) {
        const v = inline ?? argv[++i];
        if (v === undefined) throw new UsageError(`--${name} needs a value`);
        flags[name] = v;
      } else if (["admin", "force", "help"].includes(name)) flags[name] = true;
      else throw new UsageError(`unknown option --${name}`);
    } else positional.push(a);
  }
  return { positional, flags };
}

export function parseSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(s.trim());
  if (!m) throw new UsageError(`"${s}" is not a size (examples: 500M, 2G, 0 for unlimited)`);
  const mult = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2].toLowerCase() as "" | "k" | "m" | "g" | "t"];
  return Math.round(Number(m[1]) * mult);
}

function table(rows: string[][]): string {
  if (rows.length === 0) return "";
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join("  ")).join("\n");
}

async function readPassword(prompt: string): Promise<string> {
  const input = process.stdin;
  if (!input.isTTY) {
    const rl = readline.createInterface({ input });
    for await (const line of rl) {
      rl.close();
      return line;
    }
    throw new UsageError("no password given: pass --password or write it on stdin");
  }
  process.stderr.write(prompt);
  return new Promise((resolve) => {
    let pw = "";
    input.setRawMode(true);
    input.resume();
    input.setEncoding("utf8");
    const onData = (ch: string) => {
      for (const c of ch) {
        if (c === "\r" || c === "\n") {
          input.setRawMode(false);
          input.pause();
          input.off("data", onData);
          process.stderr.write("\n");
          return resolve(pw);
        }
        if (c === "\u0003") process.exit(130);
        if (c === "\u007f") pw = pw.slice(0, -1);
        else pw += c;
      }
    };
    input.on("data", onData);
  });
}

async function password(flags: Args["flags"]): Promise<string> {
  if (typeof flags.password === "string") return flags.password;
  return readPassword("Password: ");
}

function need(args: string[], n: number, what: string): string[] {
  if (args.length < n) throw new UsageError(`missing ${what}`);
  return args;
}

export async function run(argv: string[], db: Db, out: (s: string) => void, config: Config = loadConfig()): Promise<void> {
  const { positional, flags } = parseArgs(argv);
  const [group, action, ...rest] = positional;
  const actor = "mailctl";
  if (!group || flags.help || group === "help") {
    out(USAGE);
    return;
  }
  switch (`${group} ${action ?? ""}`.trim()) {
    case "domain add": {
      const [name] = need(rest, 1, "domain name (mailctl domain add example.com)");
      const d = await dir.addDomain(db, name, actor);
      const keys = await rotateDkimKeys(db, d.name);
      out(`added domain ${d.name} with DKIM selectors ${keys.map((k) => k.selector).join(", ")}; publish its records: mailctl domain dns ${d.name}`);
      return;
    }
    case "domain dns": {
      const [name] = need(rest, 1, "domain name (mailctl domain dns example.com)");
      const keys = (await listDkimKeys(db, name)).filter((k) => !k.retiredAt);
      const domain = name.toLowerCase().replace(/\.$/, "");
      for (const r of domainDnsRecords(domain, config, keys)) out(`; ${r.note}\n${zoneLine(r)}`);
      if (keys.length === 0) out(`; no DKIM key: make one with mailctl domain dkim rotate ${domain}`);
      out(`\n; MTA-STS policy to serve at https://mta-sts.${domain}/.well-known/mta-sts.txt:\n${mtaStsPolicy(config.hostname).trimEnd().split("\r\n").map((l) => `;   ${l}`).join("\n")}`);
      out(`\n; ${ptrRequest(config)}`);
      return;
    }
    case "domain dkim": {
      const [verb, name, selector] = need(rest, 2, "dkim action and domain (mailctl domain dkim rotate example.com)");
      if (verb === "rotate") {
        const keys = await rotateDkimKeys(db, name);
        out(`new DKIM selectors ${keys.map((k) => k.selector).join(", ")} sign the mail of ${name}; publish them (mailctl domain dns ${name}); the old keys stay valid until retired`);
      } else if (verb === "retire") {
        const gone = await retireDkimKeys(db, name, selector);
        out(gone.length ? `retired ${gone.join(", ")}; their TXT records can be removed` : "no rotated-out keys to retire");
      } else if (verb === "list") {
        const keys = await listDkimKeys(db, name);
        out(keys.length ? table([["SELECTOR", "ALGORITHM", "CREATED", "STATE"], ...keys.map((k) => [k.selector, k.algorithm, k.createdAt.toISOString(), k.retiredAt ? "retired" : k.active ? "signing" : "published"])]) : "no DKIM keys");
      } else throw new UsageError(`unknown dkim action "${verb}" (list, rotate or retire)`);
      return;
    }
    case "domain list": {
      const rows = await dir.listDomains(db);
      out(rows.length ? table([["DOMAIN", "ACCOUNTS", "ALIASES"], ...rows.map((d) => [d.name, String(d.accounts), String(d.aliases)])]) : "no domains (add one with: mailctl domain add example.com)");
      return;
    }
    case "domain remove": {
      const [name] = need(rest, 1, "domain name");
      await dir.removeDomain(db, name, actor, { force: flags.force === true });
      out(`removed domain ${name}`);
      return;
    }
    case "user add": {
      const [email] = need(rest, 1, "address (mailctl user add alice@example.com --password ...)");
      const quota = typeof flags.quota === "string" ? parseSize(flags.quota) : 0;
      // Validate the address before asking for a password.
      if (!parseAddress(email)) {
        throw new dir.DirectoryError(`"${email}" is not a mail address (expected local@domain, e.g. alice@example.com)`);
      }
      const a = await dir.addAccount(db, { email, password: await password(flags), admin: flags.admin === true, displayName: typeof flags.name === "string" ? flags.name : "", quotaBytes: quota }, actor);
      out(`added ${a.role === "admin" ? "admin" : "user"} ${a.email} with folders INBOX, Drafts, Sent, Archive, Junk, Trash`);
      return;
    }
    case "user list": {
      const rows = await dir.listAccounts(db, rest[0]);
      out(
        rows.length
          ? table([["ADDRESS", "ROLE", "USED", "QUOTA", "STATUS"], ...rows.map((a) => [a.email, a.role, formatSize(a.usedBytes), a.quotaBytes > 0n ? formatSize(a.quotaBytes) : "unlimited", a.disabled ? "disabled" : "active"])])
          : "no users",
      );
      return;
    }
    case "user passwd": {
      const [email] = need(rest, 1, "address");
      await dir.setPassword(db, email, await password(flags), actor);
      out(`password of ${email} changed`);
      return;
    }
    case "user remove": {
      const [email] = need(rest, 1, "address");
      await dir.removeAccount(db, email, actor);
      out(`removed ${email} and its mail`);
      return;
    }
    case "alias add": {
      const [address, destination] = need(rest, 2, "alias address and destination (mailctl alias add sales@example.com alice@example.com)");
      const a = await dir.addAlias(db, address, destination, actor);
      out(`added alias ${a.address} -> ${a.destination}`);
      return;
    }
    case "alias list": {
      const rows = await dir.listAliases(db);
      out(rows.length ? table([["ALIAS", "DESTINATION"], ...rows.map((a) => [a.address, a.destination])]) : "no aliases");
      return;
    }
    case "alias remove": {
      const [address, destination] = need(rest, 1, "alias address");
      await dir.removeAlias(db, address, destination, actor);
      out(`removed alias ${address}${destination ? ` -> ${destination}` : ""}`);
      return;
    }
    case "queue list": {
      const items = await queue.listQueue(db);
      if (items.length === 0) {
        out("queue is empty");
        return;
      }
      const rows = [["QUEUE ID", "FROM", "RECIPIENT", "STATUS", "ATTEMPTS", "NEXT ATTEMPT", "SIZE", "LAST REPLY"]];
      for (const m of items) {
        for (const r of m.recipients) {
          rows.push([m.id, m.mailFrom || "<>", r.address, r.status, String(r.attempts), r.status === "delivered" || r.status === "failed" ? "-" : r.nextAttemptAt.toISOString(), formatSize(m.size), r.lastReply]);
        }
      }
      out(table(rows));
      out(`${items.length} message(s)`);
      return;
    }
    case "queue retry": {
      const [id] = need(rest, 1, "queue id, or all");
      const n = await queue.retryNow(db, id === "all" ? null : id, actor);
      out(`${n} recipient(s) will be tried again now`);
      return;
    }
    case "queue delete": {
      const [id] = need(rest, 1, "queue id");
      await queue.deleteQueued(db, id, actor);
      out(`deleted ${id} from the queue`);
      return;
    }
    case "queue bounce": {
      const [id] = need(rest, 1, "queue id");
      const n = await queue.bounceQueued(db, id, actor);
      out(`${n} recipient(s) of ${id} will be returned to the sender`);
      return;
    }
    case "queue trace": {
      const [id] = need(rest, 1, "queue id");
      for (const line of formatTrace(await traceMessage(db, id))) out(line);
      return;
    }
    default:
      throw new UsageError(`unknown command "${positional.join(" ")}"`);
  }
}

async function main() {
  const argv = process.argv.slice(2);
  if (argv.length === 0 || argv[0] === "help" || argv.includes("--help")) {
    console.log(USAGE);
    return;
  }
  setLogLevel("warn");
  const config = loadConfig();
  await migrate(config);
  const db = await createDb(config);
  try {
    await run(argv, db, (s) => console.log(s), config);
  } finally {
    await db.$disconnect();
  }
}

const invokedDirectly = process.argv[1] && /mailctl\.(ts|mjs|js)$/.test(process.argv[1]);
if (invokedDirectly) {
  main().catch((err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`mailctl: ${err.message}\n\n${USAGE}`);
      process.exit(2);
    }
    if (err instanceof dir.DirectoryError || err instanceof queue.QueueError || err instanceof ConfigError || err instanceof DkimKeyError) {
      console.error(`mailctl: ${err.message}`);
      process.exit(1);
    }
    console.error(`mailctl: failed: ${(err as Error).message}`);
    process.exit(1);
  });
}
