/**
 * Benchmarks: `npm run bench -- <name> [options]`. Without a name, lists them.
 * Each benchmark module exports `run(argv)` resolving to an exit code.
 */
import { UsageError } from "./lib/args";

interface BenchModule {
  run(argv: string[]): Promise<number>;
  help(): string;
}

const BENCHMARKS: Record<string, { summary: string; load: () => Promise<BenchModule> }> = {
  "smtp-inbound": {
    summary: "concurrent sessions deliver ~4 KB messages to one mailbox over the MX port; msgs/s, p50/p99, peak RSS; side by side with Postfix when installed",
    load: () => import("./smtp-inbound"),
  },
  "mime-parse": {
    summary: "the delivery parser: µs per ~4 KB message (vs mailparser), a 50 MB message streamed in 64 KB chunks: time, memory kept",
    load: () => import("./mime-parse"),
  },
  search: {
    summary: "IMAP SEARCH in a 10,000-message mailbox: SUBJECT, TEXT, BODY (full-text index) and FROM, median ms, on SQLite or PostgreSQL (--db)",
    load: () => import("./search"),
  },
  outbound: {
    summary: "outbound delivery end to end: ~4 KB messages submitted for 50 remote recipients at a sink on loopback (MX from a loopback DNS server); msgs/s, p50/p99 queue latency",
    load: () => import("./outbound"),
  },
  imap: {
    summary: "IMAP on 10,000 real messages: LOGIN+SELECT, FETCH 1:* ENVELOPE, SEARCH SUBJECT/TEXT, BODY.PEEK[], STORE, idle-connection memory; side by side with Dovecot when installed",
    load: () => import("./imap"),
  },
  web: {
    summary: "the webmail on a 100,000-message Inbox: first and mid-folder list page, list slices per sort at 90%, open, search across folders, bulk move of 1,000 and its undo; then in Chromium: JavaScript for the Inbox, click to body, sign-in to Inbox, scrolling the virtual list",
    load: () => import("./web"),
  },
  memory: {
    summary: "the compiled suite as npm start runs it: each process's RSS idle and under a 20-session SMTP load, the tree's peak, vs the targets",
    load: () => import("./memory"),
  },
};

function list(): string {
  const width = Math.max(...Object.keys(BENCHMARKS).map((n) => n.length));
  return [
    "usage: npm run bench -- <name> [options]     (npm run bench -- <name> --help for its options)",
    "",
    "benchmarks:",
    ...Object.entries(BENCHMARKS).map(([name, b]) => `  ${name.padEnd(width)}  ${b.summary}`),
  ].join("\n");
}

async function main(): Promise<number> {
  const [name, ...rest] = process.argv.slice(2);
  if (!name || name === "--help" || name === "-h" || name === "list") {
    console.log(list());
    return 0;
  }
  const bench = BENCHMARKS[name];
  if (!bench) {
    console.error(`unknown benchmark "${name}"\n\n${list()}`);
    return 2;
  }
  const mod = await bench.load();
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(`usage: npm run bench -- ${name} [options]\n\n${mod.help()}`);
    return 0;
  }
  try {
    return await mod.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`${name}: ${err.message}\n\nusage: npm run bench -- ${name} [options]\n${mod.help()}`);
      return 2;
    }
    throw err;
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
