/**
 * The browser's side of `bench web` (issue 14): the production build (`next build` when
 * stale, served as `npm start` serves it) over the bench's database, driven by Debian's
 * Chromium through playwright-core:
 * - JavaScript to show the Inbox: every script a fresh, signed-in tab loads for
 *   /mail/INBOX, each gzipped as the server's compression sends it (level 6), summed;
 * - click to body: from the click on a row of the Inbox list to the message's body in
 *   the page (for an HTML body: its frame loaded), timed in the page itself;
 * - sign-in to Inbox: from submitting the sign-in form to the Inbox list on screen;
 * - the virtual list: frame timing while the wheel scrolls it, a jump deep into it
 *   (lib/web-scroll.ts).
 */
import zlib from "node:zlib";
import type { Page } from "playwright-core";
import { startWebApp } from "../../test/helpers/web-app";
import type { Config } from "../../lib/config";
import { percentile, sortedCopy } from "./stats";
import { measureScroll, type ScrollFigures } from "./web-scroll";

export interface Timed {
  median: number;
  max: number;
}

export interface BrowserFigures {
  /** Gzipped bytes of JavaScript for the Inbox, and the number of scripts. */
  jsGzip: number;
  scripts: number;
  clickToBody: Timed;
  signInToInbox: Timed;
  scroll: ScrollFigures;
}

const summary = (times: number[]): Timed => {
  const s = sortedCopy(times);
  return { median: percentile(s, 50), max: s[s.length - 1] };
};

/** The Inbox list is on screen and its keys are live (hydrated). */
async function inboxReady(page: Page): Promise<void> {
  await page.getByTestId("message-row").first().waitFor();
  await page.locator('html[data-keys="ready"]').waitFor({ state: "attached" });
}

/**
 * Milliseconds from the next click in the page to the body of message `id` shown: the
 * body element in the document and, for an HTML body, its sandboxed frame loaded (its
 * load event: the frame's document is opaque to the page). Resolves in the page, so a
 * client-side navigation keeps the timer; a full page load would reject it.
 */
function clickToBody(page: Page, id: string): Promise<number> {
  // Text, not a function: tsx's compiled functions call helpers the page does not have.
  return page.evaluate(`new Promise((resolve) => {
    const id = ${JSON.stringify(id)};
    let t0 = 0;
    const loaded = new WeakSet();
    document.addEventListener("click", () => (t0 = performance.now()), { capture: true, once: true });
    const check = () => {
      const body = document.querySelector('[data-testid="message-body"][data-message-id="' + id + '"]');
      const frame = body && body.querySelector("iframe");
      if (frame && !frame.dataset.benchWatched) {
        frame.dataset.benchWatched = "1";
        frame.addEventListener("load", () => { loaded.add(frame); check(); }, { once: true });
      }
      if (t0 && body && (!frame || loaded.has(frame))) {
        observer.disconnect();
        resolve(performance.now() - t0);
        return true;
      }
      return false;
    };
    // Mutations catch the frame as it is inserted (before its load event can fire).
    const observer = new MutationObserver(check);
    observer.observe(document.body, { childList: true, subtree: true });
    const poll = () => { if (!check()) requestAnimationFrame(poll); };
    requestAnimationFrame(poll);
  })`) as Promise<number>;
}

export async function measureBrowser(t: { config: Config }, email: string, password: string, runs: number): Promise<BrowserFigures> {
  const app = await startWebApp(t);
  try {
    const signIn = async (page: Page) => {
      await page.goto("/login");
      await page.fill('input[name="email"]', email);
      await page.fill('input[name="password"]', password);
      const t0 = performance.now();
      await page.click('button[type="submit"]');
      await page.getByTestId("message-row").first().waitFor();
      return performance.now() - t0;
    };

    // Sign-in to Inbox: each in a fresh context (no cookies, a cold cache but for the first's warm-up).
    const signIns: number[] = [];
    for (let i = -1; i < Math.min(runs, 10); i++) {
      const ctx = await app.newContext();
      const ms = await signIn(await ctx.newPage());
      if (i >= 0) signIns.push(ms);
      await ctx.close();
    }

    // JavaScript of the Inbox: a fresh tab with the session's cookie and an empty cache.
    const ctx0 = await app.newContext();
    await signIn(await ctx0.newPage());
    const state = await ctx0.storageState();
    await ctx0.close();
    const ctx = await app.browser.newContext({ baseURL: app.base, storageState: state });
    ctx.setDefaultTimeout(15_000);
    const page = await ctx.newPage();
    const scripts: Promise<number>[] = [];
    page.on("response", (res) => {
      if (res.request().resourceType() === "script") scripts.push(res.body().then((b) => zlib.gzipSync(b, { level: 6 }).length, () => 0));
    });
    await page.goto("/mail/INBOX");
    await inboxReady(page);
    const sizes = await Promise.all(scripts);

    // Click to body: a different row each time, back to the list in between.
    const clicks: number[] = [];
    const rows = page.getByTestId("message-row");
    for (let i = -1; i < runs; i++) {
      // The first 10 rows: the virtual list keeps only the rows on screen (and a few more) in the document.
      const row = rows.nth((i + 1) % 10);
      const id = (await row.getAttribute("data-message-id")) ?? "";
      const timer = clickToBody(page, id);
      await row.click();
      const ms = await timer;
      if (i >= 0) clicks.push(ms);
      await page.goto("/mail/INBOX");
      await inboxReady(page);
    }
    const scroll = await measureScroll(page, Math.min(runs, 10));
    await ctx.close();
    return { jsGzip: sizes.reduce((a, b) => a + b, 0), scripts: sizes.length, clickToBody: summary(clicks), signInToInbox: summary(signIns), scroll };
  } finally {
    await app.stop();
  }
}
