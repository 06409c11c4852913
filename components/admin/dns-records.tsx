/** The admin console's list of the DNS records each domain needs (mail flow, authentication, client setup). */
import { zoneLine, type DnsRecord } from "@/lib/client-setup/dns-records";

export function ClientDnsRecords({ domains }: { domains: { name: string; records: DnsRecord[] }[] }) {
  return (
    <section className="overflow-hidden rounded-xl border border-slate-200 bg-white" data-testid="admin-client-dns">
      <h2 className="border-b border-slate-200 px-4 py-3 font-semibold text-slate-800">DNS records</h2>
      <p className="px-4 pt-3 text-sm text-slate-600">
        Publish these so other servers deliver and trust the domain&apos;s mail (MX, SPF, DKIM, DMARC, MTA-STS, TLS-RPT) and mail apps find the server from an
        address alone (RFC 6186, RFC 8314; Thunderbird autoconfig and Outlook Autodiscover need the web app on HTTPS at these names, with a certificate covering
        them). <code>mailctl domain dns &lt;domain&gt;</code> prints the same list with the MTA-STS policy file and the PTR record to ask the host for.
      </p>
      {domains.length === 0 ? (
        <p className="px-4 py-6 text-sm text-slate-500">No domains yet.</p>
      ) : (
        domains.map((d) => (
          <div key={d.name} className="px-4 py-3" data-testid={`client-dns-${d.name}`}>
            <h3 className="text-sm font-semibold text-slate-800">{d.name}</h3>
            <pre className="mt-2 overflow-x-auto rounded-md bg-slate-50 p-3 text-xs text-slate-700">{d.records.map((r) => zoneLine(r)).join("\n")}</pre>
          </div>
        ))
      )}
    </section>
  );
}
