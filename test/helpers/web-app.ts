/**
 * The built web app for browser tests: `next build` when the build is older than the
 * sources, the app served by scripts/web-server.mjs (as npm start runs it) on a free
 * loopback port over a test engine's database, and Debian's Chromium through
 * playwright-core (never a downloaded browser).
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import type { TestEngine } from "./engine";
import { freePort } from "./ports";

const ROOT = path.resolve(import.meta.dirname, "../..");
const NEXT_BIN = path.join(ROOT, "node_modules/next/dist/bin/next");
const WEB_SERVER = path.join(ROOT, "scripts/web-server.mjs");
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const BUILD_TIMEOUT_MS = 15 * 60_000;
export const WAIT_MS = 15_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The newest modification time under the web app's sources (a build older than that is stale). */
function newestSource(): number {
  let newest = 0;
  const visit = (p: string) => {
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      for (const e of fs.readdirSync(p)) if (e !== "node_modules" && !e.startsWith(".")) visit(path.join(p, e));
    } else newest = Math.max(newest, st.mtimeMs);
  };
  for (const p of ["app", "components", "lib", "types", "generated", "proxy.ts", "next.config.js", "postcss.config.mjs", "tsconfig.json", "tsconfig.web.json", "package-lock.json"]) {
    visit(path.join(ROOT, p));
  }
  return newest;
}

/** Builds the web app unless its build is newer than every source (WEB_TEST_REBUILD=0 keeps any build). */
export function buildWebAppIfStale(): void {
  const id = path.join(ROOT, ".next/BUILD_ID");
  const stale = !fs.existsSync(id) || (process.env.WEB_TEST_REBUILD !== "0" && fs.statSync(id).mtimeMs < newestSource());
  if (!stale) return;
  const build = spawnSync(process.execPath, [NEXT_BIN, "build"], { cwd: ROOT, stdio: "inherit", timeout: BUILD_TIMEOUT_MS, env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" } });
  assert.equal(build.status, 0, "next build failed");
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface WebApp {
  base: string;
  port: number;
  browser: Browser;
  /** What the web server printed so far. */
  log(): string;
  newContext(headers?: Record<string, string>): Promise<BrowserContext>;
  signIn(page: Page, email: string, password: string): Promise<void>;
  /** One HTTP request from a chosen local address (node:http; fetch cannot pick its source address). */
  rawRequest(from: string, method: string, urlPath: string, headers?: Record<string, string>, body?: string): Promise<RawResponse>;
  stop(): Promise<void>;
}

/** Builds when stale, serves the app over `t`'s database with `env` added, and launches Chromium. */
export async function startWebApp(t: Pick<TestEngine, "config">, env: Record<string, string> = {}): Promise<WebApp> {
  buildWebAppIfStale();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let log = "";
  const web: ChildProcess = spawn(process.execPath, [WEB_SERVER, "-p", String(port), "-H", "127.0.0.1"], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: "production",
      NEXT_TELEMETRY_DISABLED: "1",
      DATA_DIR: t.config.dataDir,
      DATABASE_URL: t.config.databaseUrl,
      // The same host name as the engine, as one .env gives both in production (the web reads our Authentication-Results by it).
      MAIL_HOSTNAME: t.config.hostname,
      NEXTAUTH_URL: base,
      NEXTAUTH_SECRET: "",
      LOG_LEVEL: "warn",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  web.stdout?.on("data", (d) => (log += d));
  web.stderr?.on("data", (d) => (log += d));

  const deadline = Date.now() + 60_000;
  let last = "";
  for (;;) {
    if (web.exitCode !== null) throw new Error(`the web server exited with ${web.exitCode}:\n${log}`);
    try {
      const res = await fetch(`${base}/login`, { redirect: "manual", signal: AbortSignal.timeout(5000) });
      if (res.status < 500) break;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = String(err);
    }
    if (Date.now() > deadline) throw new Error(`${base}/login did not answer within 60 s (${last}):\n${log}`);
    await sleep(250);
  }

  const browser = await chromium
    .launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"], timeout: 30_000 })
    .catch((err: unknown) => {
      web.kill("SIGTERM"); // no browser (not installed?): the server would outlive the run
      throw err;
    });
  boundContextClose(browser);
  return {
    base,
    port,
    browser,
    log: () => log,
    async newContext(headers) {
      const ctx = await browser.newContext({ baseURL: base, extraHTTPHeaders: headers });
      ctx.setDefaultTimeout(WAIT_MS);
      ctx.setDefaultNavigationTimeout(WAIT_MS);
      return ctx;
    },
    async signIn(page, email, password) {
      await page.goto("/login");
      await page.fill('input[name="email"]', email);
      await page.fill('input[name="password"]', password);
      await page.click('button[type="submit"]');
    },
    rawRequest(from, method, urlPath, headers = {}, body) {
      return new Promise((resolve, reject) => {
        const req = http.request({ host: "127.0.0.1", port, path: urlPath, method, headers, localAddress: from }, (res) => {
          let data = "";
          res.setEncoding("utf8");
          res.on("data", (d) => (data += d));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }));
        });
        req.on("error", reject);
        req.end(body);
      });
    },
    async stop() {
      if (process.env.TEST_LOG) process.stderr.write(`--- web server output ---\n${log}\n`);
      await Promise.race([browser.close().catch(() => {}), sleep(CLOSE_WAIT_MS)]);
      if (web.exitCode === null) {
        const exited = new Promise((r) => web.once("exit", r));
        web.kill("SIGTERM");
        const timer = setTimeout(() => web.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

/** How long closing a context or the browser may take before the test goes on without it. */
const CLOSE_WAIT_MS = 10_000;

/**
 * Every context of this browser closes within CLOSE_WAIT_MS. Playwright's
 * BrowserContext.close() has no timeout, and with Debian's Chromium it now and then never
 * returns (a CI run waited an hour in one, its test's checks all done; the inspector
 * showed the one pending call, BrowserContext.close). The browser itself goes with the
 * web app at the end of the file.
 */
function boundContextClose(browser: Browser): void {
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (options) => {
    const ctx = await newContext(options);
    const close = ctx.close.bind(ctx);
    ctx.close = async (opts) => {
      await Promise.race([close(opts), sleep(CLOSE_WAIT_MS)]);
    };
    return ctx;
  };
}
