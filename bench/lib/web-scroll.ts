/**
 * The virtual list in Chromium over the bench's Inbox (issue 14): frame timing while the
 * mouse wheel scrolls it for a few seconds (each frame's interval from
 * requestAnimationFrame, and the long tasks, over 50 ms, the browser reports), the time
 * from a jump to 90% of the list (as a drag of the scrollbar) to its rows on screen, and
 * the server's answer to /api/message-list for a slice there, through HTTP.
 */
import type { Page } from "playwright-core";
import { percentile, sortedCopy } from "./stats";

export interface ScrollFigures {
  /** Frames drawn while scrolling, their longest and 95th-percentile interval (ms). */
  frames: number;
  longestFrame: number;
  p95Frame: number;
  longTasks: number;
  longTaskMs: number;
  /** Rows scrolled past, and the most list rows in the document at once. */
  rowsScrolled: number;
  maxRowsInDom: number;
  /** From the jump to 90% of the list to its rows shown (ms), each run. */
  jump: number[];
  /** GET /api/message-list of 100 rows at 90% (ms, the browser's fetch), each run. */
  apiSlice: number[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `page` shows the Inbox (signed in, hydrated). */
export async function measureScroll(page: Page, runs: number, wheelMs = 4000): Promise<ScrollFigures> {
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.evaluate("window.scrollTo(0, 0)");
  // Text, not a function: tsx's compiled functions call helpers the page does not have.
  await page.evaluate(`(() => {
    const w = window;
    w.__bench = { frames: [], long: [], maxRows: 0, stop: false };
    let last = performance.now();
    const tick = (t) => {
      w.__bench.frames.push(t - last);
      last = t;
      const n = document.querySelectorAll('[data-testid="message-list"] > li').length;
      if (n > w.__bench.maxRows) w.__bench.maxRows = n;
      if (!w.__bench.stop) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    new PerformanceObserver((l) => { for (const e of l.getEntries()) w.__bench.long.push(e.duration); }).observe({ type: "longtask" });
  })()`);
  await page.mouse.move(640, 500);
  const start = Date.now();
  while (Date.now() - start < wheelMs) {
    await page.mouse.wheel(0, 240);
    await sleep(16);
  }
  await sleep(300);
  const raw = (await page.evaluate(`(() => { window.__bench.stop = true; return { frames: window.__bench.frames.slice(1), long: window.__bench.long, maxRows: window.__bench.maxRows, y: window.scrollY }; })()`)) as {
    frames: number[];
    long: number[];
    maxRows: number;
    y: number;
  };
  const s = sortedCopy(raw.frames);

  const jump: number[] = [];
  const apiSlice: number[] = [];
  const total = Number(((await page.getByTestId("list-total").textContent()) ?? "0").replace(/\D/g, ""));
  const deep = Math.floor(total * 0.9);
  for (let i = 0; i < runs; i++) {
    await page.evaluate("window.scrollTo(0, 0)");
    await sleep(100);
    // To 90% and a little apart each run (a slice not fetched before).
    const ms = (await page.evaluate(`new Promise((resolve) => {
      const target = ${0.9 - i * 0.004};
      const t0 = performance.now();
      window.scrollTo(0, document.documentElement.scrollHeight * target);
      const check = () => {
        // Done when the rows on screen are the ones there (deep in the list) and none is still loading.
        const shown = [...document.querySelectorAll('[data-testid="message-list"] > li')].filter((r) => { const b = r.getBoundingClientRect(); return b.bottom > 0 && b.top < innerHeight; });
        const deep = shown.length > 0 && shown.every((r) => Number(r.dataset.rowIndex) > ${Math.floor(total * 0.8)});
        if (deep && !shown.some((r) => r.getAttribute("aria-busy") === "true")) resolve(performance.now() - t0);
        else requestAnimationFrame(check);
      };
      requestAnimationFrame(check);
    })`)) as number;
    jump.push(ms);
    const t0 = performance.now();
    const res = await page.request.get(`/api/message-list?folder=INBOX&sort=newest&start=${deep - i * 100}&limit=100`);
    await res.body();
    apiSlice.push(performance.now() - t0);
  }
  return {
    frames: raw.frames.length,
    longestFrame: s[s.length - 1] ?? NaN,
    p95Frame: percentile(s, 95),
    longTasks: raw.long.length,
    longTaskMs: raw.long.reduce((a, b) => a + b, 0),
    rowsScrolled: Math.round(raw.y / 46),
    maxRowsInDom: raw.maxRows,
    jump,
    apiSlice,
  };
}
