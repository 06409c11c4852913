/**
 * IMAP SEARCH over the store (lib/store/search.ts): a mailbox of N realistic messages
 * (2–20 KB, bodies from a word list, varied senders, subjects and dates, some multipart
 * with an HTML alternative or an attachment) delivered through MailStore.deliver, then
 * the median time of searchMessages for SUBJECT <word>, TEXT <word>, BODY <word> and
 * FROM <name>, on SQLite or PostgreSQL (--db). Dovecot 2.3.19 on our machines: SEARCH
 * SUBJECT 26 ms, SEARCH TEXT 1,307 ms for the same mailbox size (issue 11).
 */
import crypto from "node:crypto";
import { parseOptions, type OptionSpec } from "./lib/args";
import { percentile, sortedCopy, fmt } from "./lib/stats";
import { addAccount, addDomain } from "../lib/directory";
import { openStore } from "../lib/store";
import { searchMessages, type SearchKey } from "../lib/store/search";
import { closeReadConnection } from "../lib/store/read-connection";
import { parseMessage } from "../lib/mime/message-parser";
import { extractSearchTextSync } from "../lib/mime/search-text";

/** The scratch database options every store benchmark takes. */
export const DB_SPEC: Record<string, OptionSpec> = {
  db: { type: "string", default: "sqlite", help: "sqlite | postgresql (default sqlite)" },
  keep: { type: "flag", help: "keep the scratch database and print where it is (to EXPLAIN queries)" },
  url: { type: "string", default: "postgresql://postgres@127.0.0.1:5432/mailsuite_bench", help: "PostgreSQL server to make a scratch database on" },
};

export function specHelp(spec: Record<string, OptionSpec>): string {
  const width = Math.max(...Object.keys(spec).map((k) => k.length));
  return Object.entries(spec)
    .map(([k, s]) => `  --${k.padEnd(width)} ${s.help}`)
    .join("\n");
}

/**
 * The suite's scratch database (a temporary SQLite file, or a new PostgreSQL database
 * dropped afterwards) with a store and one account; null (after saying why) for a bad --db.
 */
export const BENCH_EMAIL = "bench@example.test";
export const BENCH_PASSWORD = "correct horse battery";

export async function scratchAccount(opts: Record<string, unknown>) {
  if (opts.db === "postgresql") {
    process.env.TEST_DB = "postgresql";
    process.env.TEST_DATABASE_URL = opts.url as string;
  } else if (opts.db !== "sqlite") {
    console.error(`--db must be sqlite or postgresql, got "${opts.db}"`);
    return null;
  }
  const { testDatabase } = await import("../test/helpers/db");
  const t = await testDatabase();
  const store = openStore(t.config, t.db);
  await addDomain(t.db, "example.test", "bench");
  const account = (await addAccount(t.db, { email: BENCH_EMAIL, password: BENCH_PASSWORD }, "bench")).id;
  /** Closes the store; drops the database unless --keep. */
  const release = async () => {
    await closeReadConnection(store);
    await store.close();
    if (opts.keep) console.log(`kept: ${t.config.databaseUrl}`);
    else await t.cleanup();
  };
  return { t, store, account, release };
}

const SPEC: Record<string, OptionSpec> = {
  count: { type: "int", default: 10000, help: "messages in the mailbox (default 10000)" },
  runs: { type: "int", default: 5, help: "timed runs of each search; the median is shown (default 5)" },
  ...DB_SPEC,
};

export function help(): string {
  return specHelp(SPEC);
}

const COMMON = (
  "the of and to in is that it for on with as was be at by this have from or an are not but had his they you were her all she there would their we him been has when who will more no if out so said what up its about into than them can only other new some could time these two may then do first any my now such like our over man me even most made after also did many before must through back years where much your way well down should because each just those people how too little state good very make world still own see men work long get here between both life being under never day same another know while last might us great old year off come since against go came right used take three"
).split(" ");
/** Rarer words, so that a search for one of them finds a few per cent of the mailbox, as real searches do. */
export const RARE = Array.from({ length: 3000 }, (_, i) => crypto.createHash("sha1").update(String(i)).digest("hex").replace(/[0-9]/g, "").slice(0, 5 + (i % 6)) + "o");
const FIRST = "Alice Bob Carol Dave Erin Frank Grace Heidi Ivan Judy Mallory Niaj Olivia Peggy Rupert Sybil Trent Victor Walter Yolanda".split(" ");
const LAST = "Smith Jones Taylor Brown Williams Wilson Johnson Davies Robinson Wright Thompson Evans Walker White Roberts Green Hall Wood Jackson Clarke".split(" ");

/** A seeded generator, so every run builds the same mailbox. */
export function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

export function message(i: number, rand: () => number): { raw: Buffer; date: Date } {
  const pick = <T>(a: T[]) => a[Math.floor(rand() * a.length)];
  const word = () => (rand() < 0.08 ? pick(RARE) : pick(COMMON));
  const sentence = () => {
    const n = 6 + Math.floor(rand() * 12);
    const w = Array.from({ length: n }, word);
    w[0] = w[0][0].toUpperCase() + w[0].slice(1);
    return w.join(" ") + ".";
  };
  const first = pick(FIRST);
  const last = pick(LAST);
  const from = `${first} ${last} <${first.toLowerCase()}.${last.toLowerCase()}@sender${i % 50}.example>`;
  const subject = Array.from({ length: 3 + Math.floor(rand() * 5) }, word).join(" ");
  const date = new Date(Date.UTC(2024, 0, 1) + Math.floor(rand() * 730 * 86400_000));
  const size = 2048 + Math.floor(rand() * 18 * 1024);
  let text = "";
  while (text.length < size * 0.8) text += (rand() < 0.15 ? "\r\n\r\n" : " ") + sentence();
  const head = [
    `From: ${from}`,
    `To: Bench User <bench@example.test>`,
    `Subject: ${subject}`,
    `Date: ${date.toUTCString().replace("GMT", "+0000")}`,
    `Message-ID: <${i}.${crypto.randomBytes(6).toString("hex")}@sender${i % 50}.example>`,
    "MIME-Version: 1.0",
  ];
  const kind = rand();
  let body: string;
  if (kind < 0.7) {
    body = [...head, "Content-Type: text/plain; charset=utf-8", "", text, ""].join("\r\n");
  } else if (kind < 0.9) {
    const html = `<html><body>${text.split("\r\n\r\n").map((p) => `<p>${p}</p>`).join("\r\n")}</body></html>`;
    body = [...head, 'Content-Type: multipart/alternative; boundary="alt"', "", "--alt", "Content-Type: text/plain; charset=utf-8", "", text, "--alt", "Content-Type: text/html; charset=utf-8", "", html, "--alt--", ""].join("\r\n");
  } else {
    const half = text.slice(0, text.length / 2);
    const att = crypto.randomBytes(Math.floor(half.length * 0.7)).toString("base64").replace(/.{76}/g, "$&\r\n");
    body = [...head, 'Content-Type: multipart/mixed; boundary="mix"', "", "--mix", "Content-Type: text/plain; charset=utf-8", "", half, "--mix", 'Content-Type: application/pdf; name="doc.pdf"', "Content-Transfer-Encoding: base64", 'Content-Disposition: attachment; filename="doc.pdf"', "", att, "--mix--", ""].join("\r\n");
  }
  return { raw: Buffer.from(body), date };
}

export async function run(argv: string[]): Promise<number> {
  const opts = parseOptions(argv, SPEC);
  const count = opts.count as number;
  const runs = opts.runs as number;
  const scratch = await scratchAccount(opts);
  if (!scratch) return 2;
  const { t, store, account, release } = scratch;
  try {
    const inbox = (await t.db.mailbox.findUniqueOrThrow({ where: { accountId_name: { accountId: account, name: "INBOX" } } })).id;

    const rand = rng(42);
    let bytes = 0;
    const started = Date.now();
    const inFlight = t.config.provider === "sqlite" ? 128 : 8;
    for (let i = 0; i < count; i += inFlight) {
      await Promise.all(
        Array.from({ length: Math.min(inFlight, count - i) }, (_, j) => {
          const m = message(i + j, rand);
          bytes += m.raw.length;
          return store.deliver({ raw: m.raw, queueId: `b${i + j}`, targets: [{ accountId: account }], internalDate: m.date });
        }),
      );
    }
    const seedS = (Date.now() - started) / 1000;
    console.log(`${t.config.provider}: ${count} messages, ${(bytes / 1024 / 1024).toFixed(1)} MB, delivered in ${seedS.toFixed(1)} s (${Math.round(count / seedS)} msgs/s, text indexed in the delivery)`);

    if (t.config.provider === "postgresql") {
      // What autovacuum does after a bulk load: merges the GIN indexes' pending lists, refreshes statistics.
      await t.db.$executeRawUnsafe(`VACUUM ANALYZE "BlobText"`);
      await t.db.$executeRawUnsafe(`ANALYZE "Message"`);
    }
    // The cost delivery pays for the index: extracting the words (before the transaction).
    const sample = Array.from({ length: 500 }, (_, i) => message(count + i, rand).raw);
    const parsed = sample.map((raw) => ({ raw, p: parseMessage(raw) }));
    const t1 = process.hrtime.bigint();
    for (const { raw, p } of parsed) extractSearchTextSync(raw, p.structure, p.envelope);
    console.log(`word extraction at delivery: ${(Number(process.hrtime.bigint() - t1) / 1000 / parsed.length).toFixed(0)} µs per message`);

    // Words that occur in a few per cent of the messages, as a search for a name or a topic does.
    const rareWord = RARE[7];
    const keys: Array<[string, SearchKey]> = [
      ["SUBJECT people", { op: "subject", value: "people" }],
      [`SUBJECT ${rareWord}`, { op: "subject", value: rareWord }],
      [`TEXT ${rareWord}`, { op: "text", value: rareWord }],
      [`BODY ${rareWord}`, { op: "body", value: rareWord }],
      [`TEXT ${RARE[11]} ${RARE[12]}`, { op: "text", value: `${RARE[11]} ${RARE[12]}` }],
      ["TEXT because (common)", { op: "text", value: "because" }],
      ["FROM grace", { op: "from", value: "grace" }],
      ["BCC nobody (reads envelopes)", { op: "bcc", value: "nobody" }],
      ["HEADER X-Mailer (reads headers)", { op: "header", field: "X-Mailer", value: "" }],
      ["UNSEEN SINCE 2025-06-01", { op: "and", keys: [{ op: "flag", flag: "seen", set: false }, { op: "since", date: "2025-06-01" }] }],
    ];
    console.log(`${"search".padEnd(30)} ${"matches".padStart(8)} ${"median ms".padStart(10)} ${"max ms".padStart(8)}`);
    for (const [name, key] of keys) {
      await searchMessages(store, account, inbox, key); // warm-up: caches, prepared statements
      const times: number[] = [];
      let n = 0;
      for (let r = 0; r < runs; r++) {
        const t0 = process.hrtime.bigint();
        n = (await searchMessages(store, account, inbox, key)).length;
        times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      const s = sortedCopy(times);
      console.log(`${name.padEnd(30)} ${String(n).padStart(8)} ${fmt(percentile(s, 50)).padStart(10)} ${fmt(s[s.length - 1]).padStart(8)}`);
    }
    console.log("Dovecot 2.3.19 on our machines (issue 11): SEARCH SUBJECT 26 ms, SEARCH TEXT 1,307 ms");
  } finally {
    await release();
  }
  return 0;
}
