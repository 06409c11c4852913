import Link from "next/link";
import type { Metadata } from "next";
import { requireSession } from "@/app/_lib/session";
import { getStore } from "@/lib/web/mail";
import { listFolders } from "@/lib/store/read";
import { fromChoices } from "@/lib/compose/identities";
import { AppShell } from "@/components/app-shell";
import { listPending } from "@/lib/submission/pending";
import { LocalTime } from "@/components/mail/local-time";
import { formatFullDate } from "@/lib/web/format";
import { cancelScheduledAction, saveIdentityAction, saveUndoAction } from "./actions";

export const metadata: Metadata = { title: "Writing settings" };

const input = "w-full rounded-md border border-slate-300 px-3 py-1.5 text-sm";
const button = "rounded-full bg-slate-800 px-4 py-1.5 text-sm font-medium text-white hover:bg-slate-700";

/** Identities (the From addresses: the account's own and its aliases) with name and signature, and the undo-send delay. */
export default async function WritingSettingsPage() {
  const account = await requireSession("/settings/writing");
  const { db } = await getStore();
  const [choices, folders, settings, pending] = await Promise.all([
    fromChoices(db, account),
    listFolders(db, account.id),
    db.account.findUnique({ where: { id: account.id }, select: { undoSendSeconds: true } }),
    listPending(db, account.id),
  ]);
  return (
    <AppShell account={account} folders={folders} section="settings">
      <div className="mx-auto max-w-3xl space-y-6 p-4 sm:p-6">
        <div>
          <Link href="/settings" className="text-sm text-slate-600 hover:underline">
            ← Settings
          </Link>
          <h1 className="text-xl font-semibold text-slate-900">Writing</h1>
        </div>
        <section className="rounded-xl border border-slate-200 bg-white p-4" aria-labelledby="scheduled-heading">
          <h2 id="scheduled-heading" className="font-semibold text-slate-800">Scheduled messages</h2>
          {pending.length === 0 ? (
            <p className="mt-2 text-sm text-slate-500">Nothing is waiting to be sent.</p>
          ) : (
            <ul className="mt-2 divide-y divide-slate-100" data-testid="scheduled-list">
              {pending.map((p) => (
                <li key={p.id} className="flex flex-wrap items-center gap-3 py-2 text-sm">
                  <span className="min-w-0 flex-1 truncate font-medium text-slate-800">{p.subject || "(no subject)"}</span>
                  <span className="text-slate-600">
                    <LocalTime iso={p.sendAt.toISOString()} mode="full" initial={formatFullDate(p.sendAt)} />
                  </span>
                  {p.lastError && <span className="text-red-700">retrying: {p.lastError}</span>}
                  <form action={cancelScheduledAction}>
                    <input type="hidden" name="id" value={p.id} />
                    <button type="submit" className="rounded-full border border-slate-300 px-3 py-1 hover:bg-slate-50" data-testid="cancel-scheduled">
                      Cancel and edit
                    </button>
                  </form>
                </li>
              ))}
            </ul>
          )}
        </section>
        <section className="rounded-xl border border-slate-200 bg-white p-4" aria-labelledby="undo-heading">
          <h2 id="undo-heading" className="font-semibold text-slate-800">Undo send</h2>
          <form action={saveUndoAction} className="mt-2 flex flex-wrap items-center gap-2 text-sm">
            <label htmlFor="undo-seconds">Hold sent messages for</label>
            <input id="undo-seconds" name="undoSendSeconds" type="number" min={0} max={60} defaultValue={settings?.undoSendSeconds ?? 10} className="w-20 rounded-md border border-slate-300 px-2 py-1" data-testid="undo-seconds" />
            <span>seconds (0 sends at once)</span>
            <button type="submit" className={button} data-testid="save-undo">
              Save
            </button>
          </form>
        </section>
        <section className="space-y-4" aria-labelledby="identities-heading">
          <h2 id="identities-heading" className="font-semibold text-slate-800">Identities and signatures</h2>
          {choices.map((c) => (
            <form key={c.address} action={saveIdentityAction} className="space-y-2 rounded-xl border border-slate-200 bg-white p-4" data-testid="identity-form">
              <input type="hidden" name="address" value={c.address} />
              <p className="text-sm font-medium text-slate-800">{c.address}</p>
              <label className="block text-sm text-slate-600">
                Name shown to recipients
                <input name="displayName" defaultValue={c.name} maxLength={200} className={input} />
              </label>
              <label className="block text-sm text-slate-600">
                Signature
                <textarea name="signature" defaultValue={c.signature} rows={3} maxLength={5000} className={input} data-testid="signature" />
              </label>
              <button type="submit" className={button}>
                Save
              </button>
            </form>
          ))}
        </section>
      </div>
    </AppShell>
  );
}
