"use server";
/**
 * The settings page's server actions. Each asks requireSession() and passes only the
 * session's own account id down, so no form field can name another account.
 */
import { revalidatePath } from "next/cache";
import { requireSession } from "@/app/_lib/session";
import { getDb } from "@/lib/db/client";
import { createLogger } from "@/lib/log";
import * as security from "@/lib/auth/account-security";
import { removeImageSender } from "@/lib/web/image-senders";

export interface SettingsResult {
  ok?: string;
  error?: string;
  /** Shown once: new recovery codes or a new app password. */
  secrets?: string[];
}

const log = createLogger({ proc: "web", component: "settings" });
const field = (form: FormData, name: string) => String(form.get(name) ?? "");

async function run(action: string, fn: (db: Awaited<ReturnType<typeof getDb>>, account: Awaited<ReturnType<typeof requireSession>>) => Promise<SettingsResult>): Promise<SettingsResult> {
  const account = await requireSession("/settings");
  try {
    const result = await fn(await getDb(), account);
    log.info(`settings.${action}`, { account: account.email });
    revalidatePath("/settings");
    return result;
  } catch (err) {
    if (err instanceof security.SettingsError) return { error: err.message };
    log.error(`settings.${action}.error`, { account: account.email, err });
    return { error: "that did not work; please try again" };
  }
}

export async function saveProfileAction(_: SettingsResult, form: FormData): Promise<SettingsResult> {
  return run("profile", async (db, a) => {
    await security.setDisplayName(db, a.id, field(form, "displayName"));
    return { ok: "saved" };
  });
}

export async function changePasswordAction(_: SettingsResult, form: FormData): Promise<SettingsResult> {
  return run("password", async (db, a) => {
    if (field(form, "next") !== field(form, "confirm")) return { error: "the new passwords differ" };
    await security.changePassword(db, a.id, { current: field(form, "current"), next: field(form, "next"), keepSessionId: a.sessionId });
    return { ok: "password changed; other browsers were signed out" };
  });
}

export async function beginTwoFactorAction(): Promise<SettingsResult> {
  return run("2fa.begin", async (db, a) => {
    await security.beginTwoFactor(db, a.id);
    return {};
  });
}

export async function confirmTwoFactorAction(_: SettingsResult, form: FormData): Promise<SettingsResult> {
  return run("2fa.enable", async (db, a) => ({ ok: "two-factor sign-in is on", secrets: await security.confirmTwoFactor(db, a.id, field(form, "code")) }));
}

export async function disableTwoFactorAction(_: SettingsResult, form: FormData): Promise<SettingsResult> {
  return run("2fa.disable", async (db, a) => {
    await security.disableTwoFactor(db, a.id, field(form, "password"));
    return { ok: "two-factor sign-in is off" };
  });
}

export async function newRecoveryCodesAction(): Promise<SettingsResult> {
  return run("2fa.recovery", async (db, a) => {
    const state = await security.twoFactorState(db, a.id);
    if (!state.enabled) return { error: "two-factor sign-in is off" };
    return { ok: "new recovery codes; the old ones no longer work", secrets: await security.replaceRecoveryCodes(db, a.id) };
  });
}

export async function createAppPasswordAction(_: SettingsResult, form: FormData): Promise<SettingsResult> {
  return run("app-password.create", async (db, a) => {
    const { password } = await security.createAppPassword(db, a.id, field(form, "name"));
    return { ok: "copy it into your mail app now: it is not shown again", secrets: [password] };
  });
}

export async function revokeAppPasswordAction(form: FormData): Promise<void> {
  await run("app-password.revoke", async (db, a) => {
    await security.revokeAppPassword(db, a.id, field(form, "id"));
    return {};
  });
}

export async function endSessionAction(form: FormData): Promise<void> {
  await run("session.end", async (db, a) => {
    const id = field(form, "id");
    if (id === a.sessionId) return { error: "use Sign out for this browser" };
    await security.endOtherWebSession(db, a.id, id);
    return {};
  });
}

export async function endOtherSessionsAction(): Promise<void> {
  await run("session.end-others", async (db, a) => {
    await security.endAllOtherWebSessions(db, a.id, a.sessionId);
    return {};
  });
}

/** Removes a sender from the "always show images" list (the session's own list only). */
export async function removeImageSenderAction(form: FormData): Promise<void> {
  await run("image-sender.remove", async (db, a) => {
    await removeImageSender(db, a.id, field(form, "address"));
    return {};
  });
}
