/**
 * The message list's virtual scrolling and sorts in Chromium, over an Inbox of a few
 * thousand messages filed straight through the store: the first slice comes with the
 * page; scrolling to the bottom keeps a bounded number of rows in the document and
 * reaches the oldest message; shift-click selects across a fetched slice; j/k and x; a
 * bulk action deep in the list and its undo; new mail while the list is open; each sort
 * orders the rows; and /api/message-list (session, owner, no-store).
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { startTestEngine, PASSWORD, type TestEngine } from "../helpers/engine";
import { startWebApp, WAIT_MS, type WebApp } from "../helpers/web-app";
import { openStore, type MailStore } from "../../lib/store";
import { newQueueId } from "../../lib/domain/ids";

let t: TestEngine;
let app: WebApp;
let store: MailStore;
let alice: string;
const COUNT = 2500;
/** Most rows the document may hold: a screen (800 px of 46 px rows) and the overscan either side. */
const MAX_ROWS = 60;
const NAMES = ["Mallory", "alice", "Zed", "bob", "Carol", "dave", "Erin"];
const WORDS = ["apple", "Banana", "cherry", "Date", "elder", "fig", "grape", "Honeydew", "kiwi", "lemon", "mango"];
const T0 = Date.UTC(2025, 0, 1);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pad = (i: number) => String(i).padStart(4, "0");

function raw(i: number, subject: string): Buffer {
  const from = `"${NAMES[i % NAMES.length]}" <n${i % NAMES.length}@remote.example>`;
  const body = "y".repeat((i * 37) % 3000);
  return Buffer.from(`From: ${from}\r\nTo: alice@example.test\r\nSubject: ${subject}\r\nMessage-ID: <v${i}@remote.example>\r\n\r\n${body}\r\n`);
}

async function waitFor(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

before(async () => {
  t = await startTestEngine();
  store = openStore(t.config, t.db);
  alice = (await t.db.account.findUniqueOrThrow({ where: { email: "alice@example.test" } })).id;
  const bob = (await t.db.account.findUniqueOrThrow({ where: { email: "bob@example.test" } })).id;
  await store.createMailbox({ accountId: bob, name: "Bob Private" });
  // Message i arrives at minute i: the newest is the last; a quarter are replies ("Re: ").
  const inFlight = t.config.provider === "sqlite" ? 100 : 8;
  for (let i = 0; i < COUNT; i += inFlight) {
    await Promise.all(
      Array.from({ length: Math.min(inFlight, COUNT - i) }, (_, j) => {
        const n = i + j;
        const subject = `${n % 4 === 0 ? "Re: " : ""}${WORDS[n % WORDS.length]} ${pad(n)}`;
        return store.deliver({ raw: raw(n, subject), queueId: newQueueId(), targets: [{ accountId: alice }], internalDate: new Date(T0 + n * 60_000) });
      }),
    );
  }
  app = await startWebApp(t);
});
after(async () => {
  await app?.stop();
  await store?.close();
  await t?.stop();
});

/** Errors the pages logged (a hydration mismatch of the server's rows would show here). */
const consoleErrors: string[] = [];

async function openInbox(): Promise<Page> {
  const ctx = await app.newContext();
  const page = await ctx.newPage();
  page.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  await page.setViewportSize({ width: 1280, height: 800 });
  await app.signIn(page, "alice@example.test", PASSWORD);
  await page.waitForURL(/\/mail\/INBOX$/);
  await page.locator('html[data-keys="ready"]').waitFor({ state: "attached" });
  return page;
}

const rowCount = (page: Page) => page.locator('[data-testid="message-list"] > li').count();
/** Row i's subject if it is in the document now (no wait). */
async function subjectNow(page: Page, i: number): Promise<string | null> {
  const el = page.locator(`[data-row-index="${i}"] [data-testid="message-subject"]`);
  return (await el.count()) ? el.textContent() : null;
}
const subjectAt = (page: Page, i: number) => page.locator(`[data-row-index="${i}"] [data-testid="message-subject"]`).textContent({ timeout: WAIT_MS });

/** Scrolls the window by steps (as a wheel would) until row `i` is in the document, fetched. */
async function scrollToRow(page: Page, i: number): Promise<void> {
  const target = page.locator(`[data-row-index="${i}"] [data-testid="message-row"]`);
  for (let step = 0; step < 200 && !(await target.count()); step++) {
    const before = (await page.evaluate("window.scrollY")) as number;
    const at = (await page.evaluate(`(() => { const r = document.querySelector('[data-testid="message-list"] > li[data-row-index]'); return r ? Number(r.dataset.rowIndex) : 0; })()`)) as number;
    await page.evaluate(`window.scrollBy(0, ${at < i ? 400 : -400})`);
    await sleep(40);
    if ((await page.evaluate("window.scrollY")) === before && !(await target.count())) await sleep(200);
  }
  await target.waitFor({ timeout: WAIT_MS });
}

test("the first slice comes with the page; scrolling to the bottom keeps few rows in the document and reaches the oldest", async () => {
  const page = await openInbox();
  // Server-rendered: the page's HTML itself holds the newest message.
  const html = await (await page.request.get("/mail/INBOX")).text();
  assert.ok(html.includes(`${WORDS[(COUNT - 1) % WORDS.length]} ${pad(COUNT - 1)}`), "the newest row is in the server's HTML");
  assert.match((await page.getByTestId("list-total").textContent()) ?? "", new RegExp(`${COUNT} messages`));
  assert.equal((await subjectAt(page, 0))?.endsWith(pad(COUNT - 1)), true);
  const first = page.locator('[data-row-index="0"]');
  assert.equal(await first.getAttribute("aria-setsize"), String(COUNT));
  assert.equal(await first.getAttribute("aria-posinset"), "1");
  assert.ok((await rowCount(page)) <= MAX_ROWS, `rows at the top: ${await rowCount(page)}`);
  // The scrollbar stands for every message: the document is about COUNT rows tall.
  const height = (await page.evaluate("document.documentElement.scrollHeight")) as number;
  assert.ok(height > COUNT * 40, `document height ${height}`);

  // Jump to the bottom (as dragging the scrollbar there): the last slice is fetched by position.
  await page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)");
  const last = page.locator(`[data-row-index="${COUNT - 1}"] [data-testid="message-subject"]`);
  for (let i = 0; i < 50 && !(await last.count()); i++) {
    await sleep(100);
    await page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)");
  }
  assert.equal(await last.textContent({ timeout: WAIT_MS }), `Re: apple ${pad(0)}`);
  assert.equal(await page.locator(`[data-row-index="${COUNT - 1}"]`).getAttribute("aria-posinset"), String(COUNT));
  const n = await rowCount(page);
  assert.ok(n > 5 && n <= MAX_ROWS, `rows at the bottom: ${n}`);
  assert.deepEqual(consoleErrors.filter((e) => /hydrat|did not match|Minified React error/i.test(e)), [], "the server's rows are the client's first render");
  await page.context().close();
});

test("shift-click selects across a fetched slice; j/k and x; archive deep in the list and undo", async () => {
  const page = await openInbox();
  await scrollToRow(page, 90);
  await page.locator('[data-row-index="90"] [data-testid="row-select"]').click();
  await scrollToRow(page, 140);
  await page.locator('[data-row-index="140"] [data-testid="row-select"]').click({ modifiers: ["Shift"] });
  assert.equal(await page.getByTestId("selected-count").textContent(), "51 selected");
  const checked = await page.locator('[data-testid="row-select"]:checked').count();
  assert.ok(checked > 10, `checked rows shown: ${checked}`);
  // Clear it: "select all shown" twice.
  await page.getByTestId("select-all").click();
  await page.getByTestId("select-all").click();
  assert.equal(await page.getByTestId("selected-count").count(), 0);

  // j moves down past the rows on screen (scrolling the list), x selects the row under the cursor.
  await page.locator('[data-row-index="140"] a').focus();
  for (let i = 0; i < 30; i++) await page.keyboard.press("j");
  await page.locator('[data-row-index="170"] a:focus').waitFor({ timeout: WAIT_MS });
  await page.keyboard.press("k");
  await page.keyboard.press("x");
  assert.equal(await page.locator('[data-row-index="169"] [data-testid="row-select"]').isChecked(), true);
  const subject = (await subjectAt(page, 169)) ?? "";
  const id = await page.locator('[data-row-index="169"] [data-testid="message-row"]').getAttribute("data-message-id");
  await page.getByTestId("bulk-archive").click();
  const folderOf = async () => (await t.db.message.findUnique({ where: { id: id! }, select: { mailbox: { select: { name: true } } } }))?.mailbox.name;
  await waitFor("the archive", async () => (await folderOf()) === "Archive");
  // The list renders again: the row is gone from where it was.
  await waitFor("the row to leave", async () => {
    const now = await subjectNow(page, 169);
    return now !== null && now !== subject;
  });
  await page.getByTestId("toast-undo").click();
  await waitFor("the undo", async () => (await t.db.message.count({ where: { subject, mailbox: { name: "INBOX" }, accountId: alice } })) === 1);
  await page.context().close();
});

test("new mail shows at the top of the open list; the total follows", async () => {
  const page = await openInbox();
  await scrollToRow(page, 300);
  await store.deliver({ raw: raw(COUNT, "A fresh one"), queueId: newQueueId(), targets: [{ accountId: alice }], internalDate: new Date(T0 + (COUNT + 10) * 60_000) });
  await waitFor("the total", async () => ((await page.getByTestId("list-total").textContent()) ?? "").startsWith(`${COUNT + 1} `));
  await page.evaluate("window.scrollTo(0, 0)");
  assert.equal(await subjectAt(page, 0), "A fresh one");
  assert.equal(await page.locator('[data-row-index="0"]').getAttribute("aria-setsize"), String(COUNT + 1));
  // Row 301 now is what row 300 was (fetched again after the change).
  await scrollToRow(page, 301);
  assert.ok((await rowCount(page)) <= MAX_ROWS);
  await page.context().close();
});

/** The subject as the subject sort reads it. */
const bare = (s: string) => s.replace(/^(re|fwd?):\s*/i, "").toLowerCase();

test("each sort orders the rows, at the top and deep in the list", async () => {
  const page = await openInbox();
  const visible = async () => {
    const out: Array<{ who: string; subject: string; id: string }> = [];
    for (let i = 0; i < 12; i++) {
      const r = page.locator(`[data-row-index="${i}"]`);
      out.push({
        who: ((await r.getByTestId("message-sender").textContent()) ?? "").toLowerCase(),
        subject: (await r.getByTestId("message-subject").textContent()) ?? "",
        id: (await r.getByTestId("message-row").getAttribute("data-message-id")) ?? "",
      });
    }
    return out;
  };
  const nondecreasing = (xs: string[]) => xs.every((x, i) => i === 0 || xs[i - 1] <= x);
  const sizes = async (ids: string[]) => {
    const rows = await t.db.message.findMany({ where: { id: { in: ids } }, select: { id: true, size: true } });
    return ids.map((id) => rows.find((r) => r.id === id)!.size);
  };
  for (const sort of ["oldest", "sender", "subject", "size", "newest"]) {
    // The first rows' ids: two sorts may share a first row (sender and subject here), not three.
    const top = () => Promise.all([0, 1, 2].map((i) => page.locator(`[data-row-index="${i}"] [data-testid="message-row"]`).getAttribute("data-message-id"))).then((a) => a.join());
    const before = await top();
    await page.getByTestId("sort").selectOption(sort);
    await waitFor(`the ${sort} order`, async () => (await top()) !== before);
    const rows = await visible();
    if (sort === "oldest") assert.equal(rows[0].subject, `Re: apple ${pad(0)}`);
    if (sort === "newest") assert.ok(rows[0].subject.endsWith(pad(COUNT - 1)) || rows[0].subject === "A fresh one", rows[0].subject);
    if (sort === "sender") {
      assert.ok(nondecreasing(rows.map((r) => r.who)), JSON.stringify(rows.map((r) => r.who)));
      assert.equal(rows[0].who, "alice");
    }
    if (sort === "subject") {
      assert.ok(nondecreasing(rows.map((r) => bare(r.subject))), JSON.stringify(rows.map((r) => r.subject)));
      assert.ok(rows.some((r) => r.subject.startsWith("Re: ")) && rows.some((r) => !r.subject.startsWith("Re: ")), "replies sort with their originals");
    }
    if (sort === "size") {
      const s = await sizes(rows.map((r) => r.id));
      assert.ok(s.every((x, i) => i === 0 || s[i - 1] >= x), JSON.stringify(s));
    }
    // Deep in the list: a slice fetched by cursor after the first keeps the order across its edge.
    await scrollToRow(page, 105);
    const edge = [];
    for (let i = 95; i <= 105; i++) edge.push(page.locator(`[data-row-index="${i}"]`));
    const whos = await Promise.all(edge.map(async (r) => ((await r.getByTestId("message-sender").textContent()) ?? "").toLowerCase()));
    const subjects = await Promise.all(edge.map(async (r) => (await r.getByTestId("message-subject").textContent()) ?? ""));
    if (sort === "sender") assert.ok(nondecreasing(whos), JSON.stringify(whos));
    if (sort === "subject") assert.ok(nondecreasing(subjects.map(bare)), JSON.stringify(subjects));
    if (sort === "oldest") assert.deepEqual(subjects.map((s) => s.slice(-4)), Array.from({ length: 11 }, (_, k) => pad(95 + k)));
    await page.evaluate("window.scrollTo(0, 0)");
  }
  // The choice is remembered: a new page of the same user opens in it.
  await page.getByTestId("sort").selectOption("size");
  await waitFor("the cookie", async () => (await page.context().cookies()).some((c) => c.name === "listSort" && c.value === "size"));
  await page.reload();
  assert.equal(await page.getByTestId("sort").inputValue(), "size");
  await page.context().close();
});

test("/api/message-list: signed in only, the owner's folders only, not stored by caches", async () => {
  const page = await openInbox();
  const ok = await page.request.get("/api/message-list?folder=INBOX&sort=subject&start=100&limit=5");
  assert.equal(ok.status(), 200);
  assert.equal(ok.headers()["cache-control"], "no-store");
  const body = (await ok.json()) as { start: number; total: number; next: string | null; rows: Array<{ id: string; subject: string }> };
  assert.equal(body.start, 100);
  assert.equal(body.rows.length, 5);
  assert.ok(body.total >= COUNT);
  // The next slice by its cursor is the same as by its position.
  const byCursor = (await (await page.request.get(`/api/message-list?folder=INBOX&sort=subject&start=105&limit=5&after=${encodeURIComponent(body.next!)}`)).json()) as typeof body;
  const byPosition = (await (await page.request.get("/api/message-list?folder=INBOX&sort=subject&start=105&limit=5")).json()) as typeof body;
  assert.deepEqual(byCursor.rows.map((r) => r.id), byPosition.rows.map((r) => r.id));
  const big = (await (await page.request.get("/api/message-list?folder=INBOX&start=0&limit=100000")).json()) as typeof body;
  assert.equal(big.rows.length, 500, "a slice is 500 rows at most");
  assert.equal((await page.request.get("/api/message-list?folder=Bob%20Private&start=0&limit=5")).status(), 404, "another account's folder");
  assert.equal((await page.request.get("/api/message-list?folder=INBOX&start=-1&limit=5")).status(), 400);
  assert.equal((await fetch(`${app.base}/api/message-list?folder=INBOX&start=0&limit=5`)).status, 401, "no session");
  const forged = await fetch(`${app.base}/api/message-list?folder=INBOX&start=0&limit=5`, { headers: { cookie: "next-auth.session-token=forged" } });
  assert.equal(forged.status, 401, "a cookie that does not verify is no session");
  await page.context().close();
});
