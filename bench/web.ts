/**
 * The webmail's server side on a big mailbox (issue 14's benchmark): an Inbox of
 * --count messages (100,000) and --others (10,000) in other folders; medians of --runs
 * (20) of what the pages do: the first list page and one deep in the folder (keyset
 * cursor), opening a message (row, bytes, parse and sanitise), a full-text search across
 * folders and a search with operators, a bulk move of 1,000 messages to Archive and its
 * undo; the virtual list's slices of 100 per sort: the first, and one at 90% of the folder
 * by position and by cursor. Then the browser's parts (lib/web-browser.ts: JavaScript to
 * show the Inbox, click to body, sign-in to Inbox, scrolling the list) against the
 * production build over the same database, unless --no-browser.
 *
 * Seeding: --distinct (2,000) realistic messages go through MailStore.deliver (parsed,
 * indexed); the rest are copies of their rows made by one INSERT ... SELECT per folder
 * (new ids and UIDs, the same blobs), which the store's triggers count like any row.
 */
import { parseOptions, type OptionSpec } from "./lib/args";
import { percentile, sortedCopy, fmt } from "./lib/stats";
import type { MailStore } from "../lib/store";
import { encodeCursor, getMessage, listMessages } from "../lib/store/read";
import { LIST_SORTS, listSlice } from "../lib/store/list-sort";
import { renderMessage } from "../lib/mime/render";
import { searchMail } from "../lib/web/search";
import { applyBulk, applyUndo } from "../lib/web/organise";
import { BENCH_EMAIL, BENCH_PASSWORD, DB_SPEC, message, rng, RARE, scratchAccount, specHelp } from "./search";
import { measureBrowser } from "./lib/web-browser";
import type { Db } from "../lib/db/client";

const SPEC: Record<string, OptionSpec> = {
  count: { type: "int", default: 100000, help: "messages in the Inbox (default 100000)" },
  others: { type: "int", default: 10000, help: "messages in other folders (default 10000)" },
  distinct: { type: "int", default: 2000, help: "distinct messages delivered; the rest are row copies (default 2000)" },
  runs: { type: "int", default: 20, help: "timed runs of each step; the median is shown (default 20)" },
  "no-browser": { type: "flag", help: "skip the browser's part (built app, Chromium)" },
  ...DB_SPEC,
};

export function help(): string {
  return specHelp(SPEC);
}

/** Copies `folder`'s rows into `to` until it holds `target` messages (new ids and UIDs, same blobs). */
async function fill(db: Db, pg: boolean, source: string, distinct: number, to: string, have: number, target: number): Promise<void> {
  const cols = pg
    ? (await db.$queryRawUnsafe<Array<{ name: string }>>(`SELECT column_name::text AS name FROM information_schema.columns WHERE table_name = 'Message' AND table_schema = current_schema()`)).map((c) => c.name)
    : (await db.$queryRawUnsafe<Array<{ name: string }>>(`SELECT name FROM pragma_table_info('Message')`)).map((c) => c.name);
  // Ids are ours (cuids): written into the SQL, as SQLite's and PostgreSQL's placeholders differ.
  if (![source, to].every((id) => /^[a-z0-9]+$/i.test(id))) throw new Error("unexpected id");
  const top = Number((await db.$queryRawUnsafe<Array<{ n: bigint | number | null }>>(`SELECT max("uid") AS n FROM "Message" WHERE "mailboxId" = '${to}'`))[0].n ?? 0);
  let uid = top;
  for (let k = 0; have < target; k++) {
    const n = Math.min(distinct, target - have);
    const select = cols.map((c) => {
      if (c === "id") return `m."id" || '-${to.slice(-4)}-${k}'`;
      if (c === "mailboxId") return `'${to}'`;
      if (c === "uid") return `m."uid" + ${uid}`;
      return `m."${c}"`;
    });
    // The delivered originals hold UIDs 1..distinct: the first n, renumbered after the destination's last UID.
    await db.$executeRawUnsafe(
      `INSERT INTO "Message" (${cols.map((c) => `"${c}"`).join(", ")}) SELECT ${select.join(", ")} FROM "Message" m WHERE m."mailboxId" = '${source}' AND m."uid" <= ${n}`,
    );
    uid += n;
    have += n;
  }
  await db.$executeRawUnsafe(`UPDATE "Mailbox" SET "uidNext" = ${uid + 1} WHERE "id" = '${to}'`);
}

async function time(runs: number, step: (i: number) => Promise<unknown>): Promise<{ median: number; max: number }> {
  await step(-1); // warm-up
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await step(i);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const s = sortedCopy(times);
  return { median: percentile(s, 50), max: s[s.length - 1] };
}

async function seed(store: MailStore, account: string, distinct: number): Promise<void> {
  const rand = rng(14);
  const inFlight = store.config.provider === "sqlite" ? 128 : 8;
  for (let i = 0; i < distinct; i += inFlight) {
    await Promise.all(
      Array.from({ length: Math.min(inFlight, distinct - i) }, (_, j) => {
        const m = message(i + j, rand);
        return store.deliver({ raw: m.raw, queueId: `w${i + j}`, targets: [{ accountId: account }], internalDate: m.date });
      }),
    );
  }
}

export async function run(argv: string[]): Promise<number> {
  const opts = parseOptions(argv, SPEC);
  const [count, others, runs] = [opts.count as number, opts.others as number, opts.runs as number];
  const distinct = Math.min(opts.distinct as number, count);
  const scratch = await scratchAccount(opts);
  if (!scratch) return 2;
  const { t, store, account, release } = scratch;
  const pg = t.config.provider === "postgresql";
  try {
    const box = async (name: string) => (await t.db.mailbox.findUniqueOrThrow({ where: { accountId_name: { accountId: account, name } } })).id;
    const inbox = await box("INBOX");
    const started = Date.now();
    await seed(store, account, distinct);
    await fill(t.db, pg, inbox, distinct, inbox, distinct, count);
    for (const [name, n] of [["Sent", Math.ceil(others / 2)], ["Archive", Math.floor(others / 2)]] as const) await fill(t.db, pg, inbox, distinct, await box(name), 0, n);
    if (pg) await t.db.$executeRawUnsafe(`VACUUM ANALYZE`);
    else await t.db.$executeRawUnsafe(`ANALYZE`);
    console.log(`${t.config.provider}: Inbox ${count} messages, ${others} in Sent and Archive (${distinct} delivered, the rest row copies), seeded in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    const rows: Array<[string, { median: number; max: number }, string]> = [];
    rows.push(["list: first page (50)", await time(runs, () => listMessages(t.db, account, "INBOX")), "< 50"]);
    const middle = await t.db.message.findFirstOrThrow({ where: { mailboxId: inbox }, orderBy: { uid: "asc" }, skip: Math.floor(count / 2), select: { internalDate: true, uid: true } });
    const deep = encodeCursor("older", middle);
    rows.push(["list: a page mid-folder (cursor)", await time(runs, () => listMessages(t.db, account, "INBOX", { cursor: deep, page: 1000 })), "< 50"]);
    // The virtual list's slices (lib/store/list-sort.ts), 100 rows at 90% of the folder (rows 90,000-90,100 of 100,000):
    // by position (a jump: OFFSET over the sort's index) and by the cursor of the slice before (a scroll).
    const deepAt = Math.floor(count * 0.9);
    for (const sort of LIST_SORTS) {
      rows.push([`slice ${sort}: first 100`, await time(runs, () => listSlice(t.db, account, "INBOX", { sort, limit: 100 })), "< 50"]);
      rows.push([`slice ${sort}: 100 at ${deepAt} by position`, await time(runs, (i) => listSlice(t.db, account, "INBOX", { sort, start: deepAt - Math.max(0, i) * 100, limit: 100 })), "< 50"]);
      const prev = await listSlice(t.db, account, "INBOX", { sort, start: deepAt - 100, limit: 100 });
      rows.push([`slice ${sort}: 100 at ${deepAt} by cursor`, await time(runs, () => listSlice(t.db, account, "INBOX", { sort, start: deepAt, limit: 100, after: prev?.next })), "< 50"]);
    }
    const ids = (await t.db.message.findMany({ where: { mailboxId: inbox }, select: { id: true }, take: 200, orderBy: { uid: "desc" } })).map((m) => m.id);
    rows.push([
      "open a message",
      await time(runs, async (i) => {
        const m = await getMessage(t.db, account, ids[(i + 1) % ids.length]);
        return renderMessage(await store.blobs.get(m!.blobHash));
      }),
      "< 50",
    ]);
    rows.push(["search: one rare word, all folders", await time(runs, () => searchMail(store, account, RARE[7])), "< 150"]);
    rows.push(["search: from:grace is:unread has:attachment", await time(runs, () => searchMail(store, account, "from:grace is:unread has:attachment")), "< 150"]);
    // Each run moves the Inbox's newest 1,000 to Archive, then undoes it (both timed).
    const moves: number[] = [];
    const undos: number[] = [];
    for (let i = 0; i < runs; i++) {
      const list = (await t.db.message.findMany({ where: { mailboxId: inbox }, select: { id: true }, take: 1000, orderBy: { uid: "desc" } })).map((m) => m.id);
      const t0 = process.hrtime.bigint();
      const r = await applyBulk(store, account, { ids: list }, "archive");
      const t1 = process.hrtime.bigint();
      await applyUndo(store, account, r.undo!);
      undos.push(Number(process.hrtime.bigint() - t1) / 1e6);
      moves.push(Number(t1 - t0) / 1e6);
    }
    const [ms, us] = [sortedCopy(moves), sortedCopy(undos)];
    rows.push(["bulk move 1,000 to Archive", { median: percentile(ms, 50), max: ms[ms.length - 1] }, "< 500"]);
    rows.push(["undo of that move", { median: percentile(us, 50), max: us[us.length - 1] }, ""]);
    const print = (list: typeof rows) => {
      console.log(`${"step".padEnd(56)} ${"median ms".padStart(10)} ${"max ms".padStart(8)} ${"target".padStart(8)}`);
      for (const [name, r, target] of list) console.log(`${name.padEnd(56)} ${fmt(r.median).padStart(10)} ${fmt(r.max).padStart(8)} ${target.padStart(8)}`);
    };
    // The server's steps first: the browser's part builds the app when stale and may fail on its own.
    print(rows);
    const server = rows.length;
    if (!opts["no-browser"]) {
      const b = await measureBrowser(t, BENCH_EMAIL, BENCH_PASSWORD, runs);
      rows.push([`JavaScript to show the Inbox (${b.scripts} scripts), KB gzipped`, { median: b.jsGzip / 1024, max: NaN }, "< 200"]);
      rows.push(["browser: click on a message to its body", b.clickToBody, "< 200"]);
      rows.push(["browser: sign-in form submitted to Inbox list", b.signInToInbox, "< 1000"]);
      const sc = b.scroll;
      const stat = (xs: number[]) => ({ median: percentile(sortedCopy(xs), 50), max: Math.max(...xs) });
      rows.push([`browser: wheel scroll 4 s (${sc.frames} frames): p95 / longest frame`, { median: sc.p95Frame, max: sc.longestFrame }, ""]);
      rows.push([`browser: long tasks while scrolling (count, total ms)`, { median: sc.longTasks, max: sc.longTaskMs }, "0"]);
      rows.push([`browser: rows scrolled past / most rows in the DOM`, { median: sc.rowsScrolled, max: sc.maxRowsInDom }, ""]);
      rows.push([`browser: jump to 90% of the list to its rows shown`, stat(sc.jump), ""]);
      rows.push([`browser: GET /api/message-list, 100 rows at 90%`, stat(sc.apiSlice), "< 50"]);
    }
    if (rows.length > server) print(rows.slice(server));
  } finally {
    await release();
  }
  return 0;
}
