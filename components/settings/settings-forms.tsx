"use client";
/** The settings page's sections; each form posts to a server action in app/settings/actions.ts. */
import { useActionState, type ReactNode } from "react";
import {
  beginTwoFactorAction,
  changePasswordAction,
  confirmTwoFactorAction,
  createAppPasswordAction,
  disableTwoFactorAction,
  endOtherSessionsAction,
  endSessionAction,
  newRecoveryCodesAction,
  removeImageSenderAction,
  revokeAppPasswordAction,
  saveProfileAction,
  type SettingsResult,
} from "@/app/settings/actions";
import { LocalTime } from "@/components/mail/local-time";

const input =
  "block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-slate-900 shadow-sm outline-none focus:border-blue-500 focus:ring-2 focus:ring-blue-500/30";
const button =
  "rounded-lg bg-blue-600 px-3.5 py-2 text-sm font-medium text-white shadow-sm hover:bg-blue-700 focus:outline-none focus:ring-2 focus:ring-blue-500/50 disabled:opacity-60";
const quiet = "rounded-lg border border-slate-300 px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-50 focus:outline-none focus:ring-2 focus:ring-blue-500/40";

function Section({ id, title, description, children }: { id: string; title: string; description?: string; children: ReactNode }) {
  return (
    <section aria-labelledby={`${id}-title`} data-testid={`settings-${id}`} className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm sm:p-5">
      <h2 id={`${id}-title`} className="text-base font-semibold text-slate-900">
        {title}
      </h2>
      {description && <p className="mt-0.5 text-sm text-slate-600">{description}</p>}
      <div className="mt-4">{children}</div>
    </section>
  );
}

function Outcome({ state }: { state: SettingsResult }) {
  if (state.error)
    return (
      <p role="alert" className="text-sm text-red-700 first-letter:uppercase">
        {state.error}
      </p>
    );
  if (state.ok)
    return (
      <p role="status" className="text-sm text-green-700 first-letter:uppercase">
        {state.ok}
      </p>
    );
  return null;
}

function Secrets({ items, label }: { items?: string[]; label: string }) {
  if (!items?.length) return null;
  return (
    <div className="mt-3 rounded-lg border border-amber-300 bg-amber-50 p-3">
      <p className="text-sm font-medium text-amber-900">{label}</p>
      <ul data-testid="shown-once" className="mt-2 grid grid-cols-1 gap-1 font-mono text-sm text-slate-900 sm:grid-cols-2">
        {items.map((s) => (
          <li key={s} className="select-all">
            {s}
          </li>
        ))}
      </ul>
    </div>
  );
}

export function ProfileForm({ displayName }: { displayName: string }) {
  const [state, action, pending] = useActionState(saveProfileAction, {});
  return (
    <Section id="profile" title="Name" description="Shown to the people you write to.">
      <form action={action} className="flex flex-col gap-3 sm:flex-row sm:items-end">
        <div className="flex-1 space-y-1.5">
          <label htmlFor="displayName" className="block text-sm font-medium text-slate-700">
            Display name
          </label>
          <input id="displayName" name="displayName" defaultValue={displayName} maxLength={100} className={input} />
        </div>
        <button className={button} disabled={pending}>
          Save
        </button>
      </form>
      <div className="mt-2">
        <Outcome state={state} />
      </div>
    </Section>
  );
}

export function PasswordForm() {
  const [state, action, pending] = useActionState(changePasswordAction, {});
  return (
    <Section id="password" title="Password" description="Changing it signs out your other browsers.">
      <form action={action} className="grid gap-3 sm:grid-cols-3">
        {[
          ["current", "Current password", "current-password"],
          ["next", "New password", "new-password"],
          ["confirm", "New password again", "new-password"],
        ].map(([name, label, auto]) => (
          <div key={name} className="space-y-1.5">
            <label htmlFor={`pw-${name}`} className="block text-sm font-medium text-slate-700">
              {label}
            </label>
            <input id={`pw-${name}`} name={name} type="password" autoComplete={auto} required className={input} />
          </div>
        ))}
        <div className="sm:col-span-3 flex items-center gap-3">
          <button className={button} disabled={pending}>
            Change password
          </button>
          <Outcome state={state} />
        </div>
      </form>
    </Section>
  );
}

export function TwoFactor({ enabled, recoveryCodesLeft, pending }: { enabled: boolean; recoveryCodesLeft: number; pending: { secret: string; qr: string } | null }) {
  const [confirmState, confirm, confirming] = useActionState(confirmTwoFactorAction, {});
  const [disableState, disable, disabling] = useActionState(disableTwoFactorAction, {});
  const [codesState, regenerate, regenerating] = useActionState(newRecoveryCodesAction, {});
  const [beginState, begin, beginning] = useActionState(beginTwoFactorAction, {});
  return (
    <Section
      id="two-factor"
      title="Two-factor sign-in"
      description="A code from an authenticator app (Aegis, Google Authenticator, 1Password…) after your password. Mail apps then need an app password."
    >
      {confirmState.secrets ? (
        <>
          <Outcome state={confirmState} />
          <Secrets items={confirmState.secrets} label="Recovery codes: each signs you in once if you lose your phone. Save them now; they are not shown again." />
        </>
      ) : enabled ? (
        <div className="space-y-4">
          <p className="text-sm text-slate-700" data-testid="two-factor-on">
            On. {recoveryCodesLeft} unused recovery code{recoveryCodesLeft === 1 ? "" : "s"}.
          </p>
          <form action={regenerate}>
            <button className={quiet} disabled={regenerating}>
              New recovery codes
            </button>
          </form>
          <Outcome state={codesState} />
          <Secrets items={codesState.secrets} label="Your new recovery codes (the old ones no longer work):" />
          <form action={disable} className="flex flex-col gap-2 sm:flex-row sm:items-end">
            <div className="flex-1 space-y-1.5">
              <label htmlFor="tf-password" className="block text-sm font-medium text-slate-700">
                Password, to turn two-factor sign-in off
              </label>
              <input id="tf-password" name="password" type="password" autoComplete="current-password" required className={input} />
            </div>
            <button className={quiet} disabled={disabling}>
              Turn off
            </button>
          </form>
          <Outcome state={disableState} />
        </div>
      ) : pending ? (
        <div className="flex flex-col gap-4 sm:flex-row">
          {/* eslint-disable-next-line @next/next/no-img-element */}
          <img src={pending.qr} alt="QR code to scan with your authenticator app" width={176} height={176} className="h-44 w-44 rounded border border-slate-200" />
          <div className="flex-1 space-y-3">
            <p className="text-sm text-slate-700">
              Scan the code with your authenticator app, or type this key: <code data-testid="totp-secret" className="select-all break-all font-mono">{pending.secret}</code>
            </p>
            <form action={confirm} className="flex flex-col gap-2 sm:flex-row sm:items-end">
              <div className="flex-1 space-y-1.5">
                <label htmlFor="tf-code" className="block text-sm font-medium text-slate-700">
                  Code from the app
                </label>
                <input id="tf-code" name="code" inputMode="numeric" autoComplete="one-time-code" required className={input} />
              </div>
              <button className={button} disabled={confirming}>
                Turn on
              </button>
            </form>
            <Outcome state={confirmState} />
          </div>
        </div>
      ) : (
        <form action={begin}>
          <button className={button} disabled={beginning}>
            Set up two-factor sign-in
          </button>
          <Outcome state={beginState} />
        </form>
      )}
    </Section>
  );
}

interface AppPasswordItem {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
}

export function AppPasswords({ items, twoFactorOn }: { items: AppPasswordItem[]; twoFactorOn: boolean }) {
  const [state, action, pending] = useActionState(createAppPasswordAction, {});
  return (
    <Section
      id="app-passwords"
      title="App passwords"
      description={
        twoFactorOn
          ? "With two-factor sign-in on, mail apps (IMAP, POP3, SMTP) sign in with an app password only."
          : "A separate password for each mail app, which you can revoke without changing your own."
      }
    >
      <form action={action} className="flex flex-col gap-2 sm:flex-row sm:items-end">
        <div className="flex-1 space-y-1.5">
          <label htmlFor="ap-name" className="block text-sm font-medium text-slate-700">
            Name (the device or app it is for)
          </label>
          <input id="ap-name" name="name" maxLength={60} required placeholder="Thunderbird on the laptop" className={input} />
        </div>
        <button className={button} disabled={pending}>
          Create
        </button>
      </form>
      <div className="mt-2">
        <Outcome state={state} />
      </div>
      <Secrets items={state.secrets} label="Your new app password:" />
      {items.length > 0 ? (
        <ul className="mt-4 divide-y divide-slate-100" data-testid="app-password-list">
          {items.map((p) => (
            <li key={p.id} className="flex items-center gap-3 py-2 text-sm">
              <div className="min-w-0 flex-1">
                <p className="truncate font-medium text-slate-900">{p.name}</p>
                <p className="text-xs text-slate-600">
                  created <LocalTime iso={p.createdAt} mode="list" initial={p.createdAt.slice(0, 10)} />
                  {" · "}
                  {p.lastUsedAt ? (
                    <>
                      last used <LocalTime iso={p.lastUsedAt} mode="list" initial={p.lastUsedAt.slice(0, 10)} />
                    </>
                  ) : (
                    "never used"
                  )}
                </p>
              </div>
              <form action={revokeAppPasswordAction}>
                <input type="hidden" name="id" value={p.id} />
                <button className={quiet} aria-label={`Revoke ${p.name}`}>
                  Revoke
                </button>
              </form>
            </li>
          ))}
        </ul>
      ) : (
        <p className="mt-4 text-sm text-slate-600">No app passwords yet.</p>
      )}
    </Section>
  );
}

interface SessionItem {
  id: string;
  ip: string;
  userAgent: string;
  createdAt: string;
  lastSeenAt: string;
}

/** "Firefox on Linux" from a User-Agent, for people rather than parsers. */
function describeAgent(ua: string): string {
  const browser = /Edg\//.test(ua) ? "Edge" : /Firefox\//.test(ua) ? "Firefox" : /Chrom(e|ium)\//.test(ua) ? "Chrome" : /Safari\//.test(ua) ? "Safari" : "A browser";
  const os = /Android/.test(ua) ? "Android" : /iPhone|iPad/.test(ua) ? "iOS" : /Mac OS X/.test(ua) ? "macOS" : /Windows/.test(ua) ? "Windows" : /Linux/.test(ua) ? "Linux" : "";
  return os ? `${browser} on ${os}` : browser;
}

export function Sessions({ items, current }: { items: SessionItem[]; current: string }) {
  return (
    <Section id="sessions" title="Signed-in browsers">
      <ul className="divide-y divide-slate-100" data-testid="session-list">
        {items.map((s) => (
          <li key={s.id} className="flex items-center gap-3 py-2 text-sm">
            <div className="min-w-0 flex-1">
              <p className="font-medium text-slate-900">
                {describeAgent(s.userAgent)}
                {s.id === current && <span className="ml-2 rounded bg-green-100 px-1.5 py-0.5 text-xs text-green-800">this browser</span>}
              </p>
              <p className="text-xs text-slate-600">
                {s.ip || "unknown address"} · signed in <LocalTime iso={s.createdAt} mode="list" initial={s.createdAt.slice(0, 10)} /> · last seen{" "}
                <LocalTime iso={s.lastSeenAt} mode="list" initial={s.lastSeenAt.slice(0, 10)} />
              </p>
            </div>
            {s.id !== current && (
              <form action={endSessionAction}>
                <input type="hidden" name="id" value={s.id} />
                <button className={quiet} aria-label={`Sign out ${describeAgent(s.userAgent)} at ${s.ip}`}>
                  Sign out
                </button>
              </form>
            )}
          </li>
        ))}
      </ul>
      {items.length > 1 && (
        <form action={endOtherSessionsAction} className="mt-3">
          <button className={quiet}>Sign out everywhere else</button>
        </form>
      )}
    </Section>
  );
}

export function ImageSenders({ items }: { items: { address: string; createdAt: string }[] }) {
  return (
    <Section id="image-senders" title="Images from these senders" description="Their messages open with remote images shown. Add a sender from a message's blocked-images notice.">
      {items.length === 0 ? (
        <p className="text-sm text-slate-600" data-testid="image-senders-empty">
          None: remote images are blocked in every message until you choose to show them.
        </p>
      ) : (
        <ul className="divide-y divide-slate-100" data-testid="image-sender-list">
          {items.map((s) => (
            <li key={s.address} className="flex items-center gap-3 py-2 text-sm" data-testid="image-sender">
              <span className="min-w-0 flex-1 truncate font-medium text-slate-900">{s.address}</span>
              <form action={removeImageSenderAction}>
                <input type="hidden" name="address" value={s.address} />
                <button className={quiet} aria-label={`Stop showing images from ${s.address}`} data-testid="image-sender-remove">
                  Remove
                </button>
              </form>
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}
