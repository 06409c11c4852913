import type { Metadata } from "next";
import { requireAdmin } from "@/app/_lib/session";
import { getStore } from "@/lib/web/mail";
import { listFolders } from "@/lib/store/read";
import { listAccounts, listDomains } from "@/lib/directory";
import { AppShell } from "@/components/app-shell";
import { AccountTable, DomainTable } from "@/components/admin/admin-tables";
import { ClientDnsRecords } from "@/components/admin/dns-records";
import { domainDnsRecords } from "@/lib/client-setup/domain-records";
import { publishedDkimKeys } from "@/lib/dkim/keys";

export const metadata: Metadata = { title: "Admin" };

export default async function AdminPage() {
  const account = await requireAdmin("/admin");
  const { db, config } = await getStore();
  const [folders, domains, accounts, keys] = await Promise.all([listFolders(db, account.id), listDomains(db), listAccounts(db), publishedDkimKeys(db)]);
  return (
    <AppShell account={account} folders={folders} section="admin">
      <div className="mx-auto max-w-6xl space-y-6 p-4 sm:p-6">
        <div>
          <h1 className="text-xl font-semibold text-slate-900">Administration</h1>
          <p className="text-sm text-slate-600">Domains and accounts of this server. Manage them with mailctl.</p>
        </div>
        <DomainTable domains={domains} />
        <AccountTable accounts={accounts} />
        <ClientDnsRecords domains={domains.map((d) => ({ name: d.name, records: domainDnsRecords(d.name, config, keys.get(d.id) ?? []) }))} />
      </div>
    </AppShell>
  );
}
