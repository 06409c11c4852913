import type { Metadata } from "next";
import Link from "next/link";
import { requireSession } from "@/app/_lib/session";
import { getStore } from "@/lib/web/mail";
import { listFolders } from "@/lib/store/read";
import { fromChoices } from "@/lib/compose/identities";
import { initialCompose } from "@/lib/web/compose-initial";
import type { SearchParams } from "@/lib/web/params";
import { AppShell } from "@/components/app-shell";
import { ComposeForm } from "@/components/compose/compose-form";

export const metadata: Metadata = { title: "Compose" };

const HEADINGS = { new: "New message", reply: "Reply", replyAll: "Reply to all", forward: "Forward", draft: "Draft" } as const;

type Props = { searchParams: Promise<SearchParams> };

export default async function ComposePage({ searchParams }: Props) {
  const sp = await searchParams;
  const query = new URLSearchParams(Object.entries(sp).flatMap(([k, v]) => (typeof v === "string" ? [[k, v]] : [])));
  const account = await requireSession(`/mail/compose${query.size ? `?${query}` : ""}`);
  const { db, config } = await getStore();
  const [choices, folders] = await Promise.all([fromChoices(db, account), listFolders(db, account.id)]);
  const initial = await initialCompose(account, sp, choices);
  return (
    <AppShell account={account} folders={folders}>
      <div className="p-3 sm:p-6">
        <div className="mx-auto mb-3 flex max-w-4xl items-baseline justify-between px-1">
          <h1 className="text-lg font-semibold text-slate-800">{HEADINGS[initial.kind]}</h1>
          <Link href="/settings/writing" className="text-sm text-slate-600 hover:underline">
            Signatures and undo send
          </Link>
        </div>
        <ComposeForm key={JSON.stringify(sp)} initial={initial} choices={choices} maxBytes={config.maxMessageSize} />
      </div>
    </AppShell>
  );
}
