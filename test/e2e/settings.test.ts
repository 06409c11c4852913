/**
 * The Settings page in Chromium: set up two-factor sign-in from the page's own key, sign
 * in again with a code, make an app password that opens IMAP, sign out another browser,
 * change the password.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import type { Page } from "playwright-core";
import { startTestEngine, PASSWORD, type TestEngine } from "../helpers/engine";
import { startWebApp, type WebApp } from "../helpers/web-app";
import { imapflow } from "../helpers/imap";
import { totpAt } from "../../lib/auth/totp";

let t: TestEngine;
let app: WebApp;

before(async () => {
  t = await startTestEngine({ AUTH_LOCKOUT_FAILURES: "1000", AUTH_FAILURE_DELAY_MS: "1" });
  app = await startWebApp(t, { AUTH_LOCKOUT_FAILURES: "1000", AUTH_FAILURE_DELAY_MS: "1" });
});

after(async () => {
  await app?.stop();
  await t?.stop();
});

async function shot(page: Page, name: string): Promise<void> {
  const dir = process.env.WEB_TEST_SCREENSHOTS;
  if (dir) await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}

test("two-factor set-up, sign-in with a code, app password for IMAP, other browsers signed out", async () => {
  const ctx = await app.newContext();
  const page = await ctx.newPage();
  await app.signIn(page, "alice@example.test", PASSWORD);
  await page.waitForURL(/\/mail\/INBOX/);

  // A second browser, to be signed out from the first.
  const other = await app.newContext({ "user-agent": "Mozilla/5.0 (Windows NT 10.0) Firefox/130.0" });
  const otherPage = await other.newPage();
  await app.signIn(otherPage, "alice@example.test", PASSWORD);
  await otherPage.waitForURL(/\/mail\/INBOX/);

  await page.click('[data-testid="settings-link"]');
  await page.waitForURL(/\/settings$/);
  await page.getByRole("button", { name: "Set up two-factor sign-in" }).click();
  const secret = (await page.locator('[data-testid="totp-secret"]').textContent())?.trim() ?? "";
  assert.match(secret, /^[A-Z2-7]{32}$/);
  assert.ok(await page.getByRole("img", { name: /QR code/ }).isVisible());
  await shot(page, "settings-two-factor-setup");
  await page.fill("#tf-code", totpAt(secret));
  await page.getByRole("button", { name: "Turn on" }).click();
  await page.locator('[data-testid="settings-two-factor"] [data-testid="shown-once"] li').first().waitFor();
  const codes = await page.locator('[data-testid="settings-two-factor"] [data-testid="shown-once"] li').allTextContents();
  assert.equal(codes.length, 10, "ten recovery codes shown once");

  // An app password, shown once, opens IMAP; the account password no longer does.
  await page.fill("#ap-name", "Thunderbird");
  await page.getByRole("button", { name: "Create" }).click();
  const shownPassword = page.locator('[data-testid="settings-app-passwords"] [data-testid="shown-once"] li').first();
  await shownPassword.waitFor();
  const appPassword = (await shownPassword.textContent())?.trim() ?? "";
  assert.match(appPassword, /^[a-z]{4}( [a-z]{4}){3}$/);
  const imap = await imapflow(t.imapPort, "alice@example.test", { password: appPassword });
  await imap.logout();
  await assert.rejects(imapflow(t.imapPort, "alice@example.test", { password: PASSWORD }));
  await page.reload();
  await page.locator('[data-testid="app-password-list"]', { hasText: "Thunderbird" }).waitFor();
  assert.equal(await page.locator('[data-testid="shown-once"]').count(), 0, "not shown again");

  // The other browser is listed and signed out from here.
  const sessions = page.locator('[data-testid="session-list"] li');
  assert.equal(await sessions.count(), 2);
  await page.getByRole("button", { name: /Sign out Firefox on Windows/ }).click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="session-list"] li').length === 1);
  await shot(page, "settings");
  await otherPage.goto("/mail/INBOX");
  await otherPage.waitForURL(/\/login/);

  // Signing in again asks for a code after the password.
  const fresh = await (await app.newContext()).newPage();
  await app.signIn(fresh, "alice@example.test", PASSWORD);
  await fresh.locator('[data-testid="login-code"]').waitFor();
  await fresh.fill('[data-testid="login-code"]', "000000");
  await fresh.click('button[type="submit"]');
  await fresh.locator('[data-testid="login-error"]', { hasText: "code" }).waitFor();
  await fresh.fill('[data-testid="login-code"]', codes[0]);
  await fresh.click('button[type="submit"]');
  await fresh.waitForURL(/\/mail\/INBOX/);

  // A password change keeps this browser and signs out the other (fresh).
  await page.fill("#pw-current", PASSWORD);
  await page.fill("#pw-next", "a much newer password");
  await page.fill("#pw-confirm", "a much newer password");
  await page.getByRole("button", { name: "Change password" }).click();
  await page.getByRole("status").filter({ hasText: "password changed" }).waitFor();
  await fresh.goto("/mail/INBOX");
  await fresh.waitForURL(/\/login/);
  await page.goto("/mail/INBOX");
  assert.match(page.url(), /\/mail\/INBOX/);
  await ctx.close();
  await other.close();
});
