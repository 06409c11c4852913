import type { Metadata } from "next";
import { requireSession } from "@/app/_lib/session";
import { getStore } from "@/lib/web/mail";
import { listFolders } from "@/lib/store/read";
import { clientServices } from "@/lib/client-setup/services";
import { AppShell } from "@/components/app-shell";
import { ClientSettings } from "@/components/setup/client-settings";

export const metadata: Metadata = { title: "Mail apps" };

export default async function SetupPage() {
  const account = await requireSession("/setup");
  const { db, config } = await getStore();
  const folders = await listFolders(db, account.id);
  return (
    <AppShell account={account} folders={folders} section="setup">
      <div className="mx-auto max-w-4xl space-y-6 p-4 sm:p-6">
        <div>
          <h1 className="text-xl font-semibold text-slate-900">Mail apps</h1>
          <p className="text-sm text-slate-600">Read and send {account.email} from a phone or desktop mail app.</p>
        </div>
        <ClientSettings email={account.email} services={clientServices(config)} />
      </div>
    </AppShell>
  );
}
