import Link from "next/link";
import type { Metadata } from "next";
import QRCode from "qrcode";
import { requireSession } from "@/app/_lib/session";
import { getStore } from "@/lib/web/mail";
import { listFolders } from "@/lib/store/read";
import { listAppPasswords, listWebSessions, twoFactorState } from "@/lib/auth/account-security";
import { otpauthUri } from "@/lib/auth/totp";
import { AppShell } from "@/components/app-shell";
import { listImageSenders } from "@/lib/web/image-senders";
import { AppPasswords, ImageSenders, PasswordForm, ProfileForm, Sessions, TwoFactor } from "@/components/settings/settings-forms";

export const metadata: Metadata = { title: "Settings" };
export const dynamic = "force-dynamic";

export default async function SettingsPage() {
  const account = await requireSession("/settings");
  const { db, config } = await getStore();
  const [folders, row, twoFactor, appPasswords, sessions, imageSenders] = await Promise.all([
    listFolders(db, account.id),
    db.account.findUniqueOrThrow({ where: { id: account.id }, select: { displayName: true } }),
    twoFactorState(db, account.id),
    listAppPasswords(db, account.id),
    listWebSessions(db, account.id),
    listImageSenders(db, account.id),
  ]);
  const pending = twoFactor.pendingSecret
    ? {
        secret: twoFactor.pendingSecret,
        qr: `data:image/svg+xml;base64,${Buffer.from(await QRCode.toString(otpauthUri(twoFactor.pendingSecret, account.email, config.hostname), { type: "svg", margin: 1 })).toString("base64")}`,
      }
    : null;
  return (
    <AppShell account={account} folders={folders} section="settings">
      <div className="mx-auto max-w-3xl space-y-6 p-4 sm:p-6">
        <div>
          <h1 className="text-xl font-semibold text-slate-900">Settings</h1>
          <p className="text-sm text-slate-600">{account.email}</p>
        </div>
        <Link
          href="/settings/writing"
          data-testid="writing-settings-link"
          className="block rounded-xl border border-slate-200 bg-white p-4 shadow-sm hover:bg-slate-50 sm:p-5"
        >
          <span className="text-base font-semibold text-slate-900">Writing →</span>
          <span className="mt-0.5 block text-sm text-slate-600">Your addresses and signatures, how long Undo send waits, scheduled messages.</span>
        </Link>
        <ProfileForm displayName={row.displayName} />
        <PasswordForm />
        <TwoFactor enabled={twoFactor.enabled} recoveryCodesLeft={twoFactor.recoveryCodesLeft} pending={pending} />
        <AppPasswords
          twoFactorOn={twoFactor.enabled}
          items={appPasswords.map((p) => ({ id: p.id, name: p.name, createdAt: p.createdAt.toISOString(), lastUsedAt: p.lastUsedAt?.toISOString() ?? null }))}
        />
        <ImageSenders items={imageSenders.map((s) => ({ address: s.address, createdAt: s.createdAt.toISOString() }))} />
        <Sessions
          current={account.sessionId}
          items={sessions.map((s) => ({ id: s.id, ip: s.ip, userAgent: s.userAgent, createdAt: s.createdAt.toISOString(), lastSeenAt: s.lastSeenAt.toISOString() }))}
        />
      </div>
    </AppShell>
  );
}
