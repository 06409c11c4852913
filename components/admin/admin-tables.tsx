/** The admin console's overview: domains and accounts. */
import type { ReactNode } from "react";
import { formatSize } from "@/lib/web/format";

export interface DomainRow {
  id: string;
  name: string;
  accounts: number;
  aliases: number;
  createdAt: Date;
}

export interface AccountRow {
  id: string;
  email: string;
  displayName: string;
  role: string;
  quotaBytes: bigint;
  usedBytes: bigint;
  disabled: boolean;
}

const th = "px-4 py-2 text-left text-xs font-semibold tracking-wide text-slate-500 uppercase";
const td = "px-4 py-2.5 text-sm text-slate-700";

function Card({ title, count, children, testId }: { title: string; count: number; children: ReactNode; testId: string }) {
  return (
    <section className="overflow-hidden rounded-xl border border-slate-200 bg-white" data-testid={testId}>
      <h2 className="flex items-baseline gap-2 border-b border-slate-200 px-4 py-3 font-semibold text-slate-800">
        {title}
        <span className="text-sm font-normal text-slate-500">{count}</span>
      </h2>
      <div className="overflow-x-auto">{children}</div>
    </section>
  );
}

export function DomainTable({ domains }: { domains: DomainRow[] }) {
  return (
    <Card title="Domains" count={domains.length} testId="admin-domains">
      {domains.length === 0 ? (
        <p className="px-4 py-6 text-sm text-slate-500">No domains yet. Add one with <code className="rounded bg-slate-100 px-1">mailctl domain add example.com</code>.</p>
      ) : (
        <table className="min-w-full divide-y divide-slate-200">
          <thead className="bg-slate-50">
            <tr>
              <th className={th}>Domain</th>
              <th className={`${th} text-right`}>Accounts</th>
              <th className={`${th} text-right`}>Aliases</th>
              <th className={th}>Added</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {domains.map((d) => (
              <tr key={d.id}>
                <td className={`${td} font-medium text-slate-900`}>{d.name}</td>
                <td className={`${td} text-right tabular-nums`}>{d.accounts}</td>
                <td className={`${td} text-right tabular-nums`}>{d.aliases}</td>
                <td className={`${td} text-slate-500`}>{d.createdAt.toISOString().slice(0, 10)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}

function Quota({ used, quota }: { used: bigint; quota: bigint }) {
  if (quota === BigInt(0)) return <span>{formatSize(used)} <span className="text-slate-400">/ unlimited</span></span>;
  const pct = Math.min(100, Math.round((Number(used) / Number(quota)) * 100));
  return (
    <div className="min-w-36">
      <div className="flex justify-between gap-2 text-xs">
        <span>{formatSize(used)} / {formatSize(quota)}</span>
        <span className="text-slate-500 tabular-nums">{pct}%</span>
      </div>
      <div className="mt-1 h-1.5 rounded-full bg-slate-200">
        <div className={`h-1.5 rounded-full ${pct >= 90 ? "bg-red-500" : pct >= 75 ? "bg-amber-500" : "bg-blue-600"}`} style={{ width: `${pct}%` }} />
      </div>
    </div>
  );
}

export function AccountTable({ accounts }: { accounts: AccountRow[] }) {
  return (
    <Card title="Accounts" count={accounts.length} testId="admin-accounts">
      {accounts.length === 0 ? (
        <p className="px-4 py-6 text-sm text-slate-500">No accounts yet.</p>
      ) : (
        <table className="min-w-full divide-y divide-slate-200">
          <thead className="bg-slate-50">
            <tr>
              <th className={th}>Account</th>
              <th className={th}>Role</th>
              <th className={th}>Storage</th>
              <th className={th}>Status</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {accounts.map((a) => (
              <tr key={a.id} className={a.disabled ? "bg-slate-50 text-slate-400" : undefined}>
                <td className={td}>
                  <div className="font-medium text-slate-900">{a.email}</div>
                  {a.displayName && <div className="text-xs text-slate-500">{a.displayName}</div>}
                </td>
                <td className={td}>
                  <span className={`rounded-full px-2 py-0.5 text-xs font-medium ${a.role === "admin" ? "bg-purple-100 text-purple-800" : "bg-slate-100 text-slate-700"}`}>
                    {a.role}
                  </span>
                </td>
                <td className={td}>
                  <Quota used={a.usedBytes} quota={a.quotaBytes} />
                </td>
                <td className={td}>
                  {a.disabled ? (
                    <span className="rounded-full bg-red-100 px-2 py-0.5 text-xs font-medium text-red-800">disabled</span>
                  ) : (
                    <span className="rounded-full bg-green-100 px-2 py-0.5 text-xs font-medium text-green-800">active</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}
