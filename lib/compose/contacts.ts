/**
 * Recipient suggestions: addresses the account received mail from and wrote to (the To
 * and Cc of its Sent messages), matching what was typed, most used first. Scoped to the
 * account by every query.
 */
import type { Db } from "../db/client";
import { parseAddressList } from "../store/read";

export interface Contact {
  name: string;
  address: string;
}

/** Rows read per query: enough for the usual correspondents, bounded for a 100,000-message mailbox. */
const SCAN = 500;

export async function suggestContacts(db: Db, accountId: string, query: string, limit = 8): Promise<Contact[]> {
  const q = query.trim().toLowerCase().slice(0, 100);
  if (!q) return [];
  const [received, sent] = await Promise.all([
    db.message.findMany({
      where: { accountId, OR: [{ fromAddress: { contains: q } }, { fromName: { contains: q } }] },
      select: { fromAddress: true, fromName: true },
      orderBy: { internalDate: "desc" },
      take: SCAN,
    }),
    db.message.findMany({
      where: { accountId, mailbox: { specialUse: "\\Sent" }, OR: [{ toAddresses: { contains: q } }, { ccAddresses: { contains: q } }] },
      select: { toAddresses: true, ccAddresses: true },
      orderBy: { internalDate: "desc" },
      take: SCAN,
    }),
  ]);
  const counts = new Map<string, Contact & { n: number }>();
  const add = (c: Contact, weight: number) => {
    const address = c.address.toLowerCase();
    if (!address.includes("@") || !(address.includes(q) || c.name.toLowerCase().includes(q))) return;
    const had = counts.get(address);
    if (had) {
      had.n += weight;
      had.name ||= c.name;
    } else counts.set(address, { address, name: c.name, n: weight });
  };
  for (const r of received) add({ address: r.fromAddress, name: r.fromName }, 1);
  // Someone one writes to counts more than someone who writes to one.
  for (const r of sent) for (const c of [...parseAddressList(r.toAddresses), ...parseAddressList(r.ccAddresses)]) add(c, 3);
  return [...counts.values()]
    .sort((a, b) => b.n - a.n || a.address.localeCompare(b.address))
    .slice(0, limit)
    .map(({ name, address }) => ({ name, address }));
}
