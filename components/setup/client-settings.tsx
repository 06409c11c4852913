/** The "Mail apps" page's content: the server settings by hand, and the automatic ways. */
import type { MailService } from "@/lib/client-setup/services";

const PROTOCOL = { imap: "IMAP (incoming)", pop3: "POP3 (incoming)", smtp: "SMTP (outgoing)" } as const;
const SECURITY = { tls: "SSL/TLS", starttls: "STARTTLS" } as const;

const th = "px-4 py-2 text-left text-xs font-semibold tracking-wide text-slate-500 uppercase";
const td = "px-4 py-2.5 text-sm text-slate-700";

export function ClientSettings({ email, services }: { email: string; services: MailService[] }) {
  const canProfile = services.some((s) => s.protocol !== "smtp") && services.some((s) => s.protocol === "smtp");
  return (
    <div className="space-y-6">
      <section className="rounded-xl border border-slate-200 bg-white p-4">
        <h2 className="font-semibold text-slate-800">iPhone, iPad and Mac</h2>
        <p className="mt-1 text-sm text-slate-600">
          Download a configuration profile for {email} and open it; the device asks for your password while installing. The profile holds no password.
        </p>
        {canProfile ? (
          <a
            href="/setup/mobileconfig"
            download
            data-testid="mobileconfig-download"
            className="mt-3 inline-block rounded-md bg-blue-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-blue-700"
          >
            Download profile
          </a>
        ) : (
          <p className="mt-3 text-sm text-slate-500">No profile: no incoming or no outgoing service is enabled on this server.</p>
        )}
      </section>
      <section className="rounded-xl border border-slate-200 bg-white p-4">
        <h2 className="font-semibold text-slate-800">Thunderbird, Outlook and other apps</h2>
        <p className="mt-1 text-sm text-slate-600">
          Thunderbird and Outlook find these settings themselves from your address and password. Other apps need them entered by hand; your user name is your full address, {email}.
        </p>
      </section>
      <section className="overflow-hidden rounded-xl border border-slate-200 bg-white" data-testid="client-settings">
        <h2 className="border-b border-slate-200 px-4 py-3 font-semibold text-slate-800">Server settings</h2>
        <div className="overflow-x-auto">
          <table className="min-w-full divide-y divide-slate-200">
            <thead className="bg-slate-50">
              <tr>
                <th className={th}>Service</th>
                <th className={th}>Server</th>
                <th className={`${th} text-right`}>Port</th>
                <th className={th}>Security</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {services.map((s) => (
                <tr key={`${s.protocol}-${s.security}`}>
                  <td className={td}>{PROTOCOL[s.protocol]}</td>
                  <td className={`${td} font-mono`}>{s.host}</td>
                  <td className={`${td} text-right tabular-nums`}>{s.port}</td>
                  <td className={td}>{SECURITY[s.security]}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </div>
  );
}
