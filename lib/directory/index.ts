/**
 * Domains, accounts and aliases: the operations mailctl and the admin console share.
 * Every change is written to the audit log with its actor.
 */
import type { Db } from "../db/client";
import { catchAllKey, normaliseDomain, parseAddress } from "../domain/address";
import { hashPassword, passwordProblem } from "../auth/password";
import { createDefaultMailboxes } from "../store/mailboxes";

/** A change refused because of its input; the message says why and what to do. */
export class DirectoryError extends Error {}

async function audit(db: Db, actor: string, action: string, target: string, detail = ""): Promise<void> {
  await db.auditLog.create({ data: { actor, action, target, detail } });
}

export async function addDomain(db: Db, name: string, actor: string) {
  const domain = normaliseDomain(name);
  if (!domain) throw new DirectoryError(`"${name}" is not a domain name (expected something like example.com)`);
  if (await db.domain.findUnique({ where: { name: domain } })) throw new DirectoryError(`domain ${domain} already exists`);
  const row = await db.domain.create({ data: { name: domain } });
  await audit(db, actor, "domain.add", domain);
  return row;
}

export async function listDomains(db: Db) {
  const rows = await db.domain.findMany({ orderBy: { name: "asc" }, include: { _count: { select: { accounts: true, aliases: true } } } });
  return rows.map((d) => ({ id: d.id, name: d.name, createdAt: d.createdAt, accounts: d._count.accounts, aliases: d._count.aliases }));
}

export async function removeDomain(db: Db, name: string, actor: string, opts: { force?: boolean } = {}) {
  const domain = normaliseDomain(name);
  const row = domain ? await db.domain.findUnique({ where: { name: domain }, include: { _count: { select: { accounts: true } } } }) : null;
  if (!row) throw new DirectoryError(`domain ${name} does not exist`);
  if (row._count.accounts > 0 && !opts.force) {
    throw new DirectoryError(`domain ${row.name} still has ${row._count.accounts} account(s); remove them first or pass --force to delete them and their mail`);
  }
  await db.domain.delete({ where: { id: row.id } });
  await audit(db, actor, "domain.remove", row.name);
}

export interface NewAccount {
  email: string;
  password: string;
  admin?: boolean;
  displayName?: string;
  quotaBytes?: number;
}

export async function addAccount(db: Db, input: NewAccount, actor: string) {
  const addr = parseAddress(input.email);
  if (!addr) throw new DirectoryError(`"${input.email}" is not a mail address (expected local@domain, e.g. alice@example.com)`);
  const problem = passwordProblem(input.password);
  if (problem) throw new DirectoryError(problem);
  const domain = await db.domain.findUnique({ where: { name: addr.domain } });
  if (!domain) throw new DirectoryError(`domain ${addr.domain} is not a local domain; add it first (mailctl domain add ${addr.domain})`);
  if (await db.account.findUnique({ where: { email: addr.address } })) throw new DirectoryError(`account ${addr.address} already exists`);
  const passwordHash = await hashPassword(input.password);
  const account = await db.$transaction(async (tx) => {
    const a = await tx.account.create({
      data: {
        email: addr.address,
        localPart: addr.local,
        domainId: domain.id,
        displayName: input.displayName ?? "",
        role: input.admin ? "admin" : "user",
        passwordHash,
        quotaBytes: BigInt(input.quotaBytes ?? 0),
      },
    });
    await createDefaultMailboxes(tx, a.id);
    return a;
  });
  await audit(db, actor, "account.add", account.email, input.admin ? "admin" : "");
  return account;
}

export async function listAccounts(db: Db, domain?: string) {
  const where = domain ? { domain: { name: normaliseDomain(domain) ?? domain } } : {};
  return db.account.findMany({
    where,
    orderBy: { email: "asc" },
    select: { id: true, email: true, displayName: true, role: true, quotaBytes: true, usedBytes: true, disabled: true, createdAt: true },
  });
}

async function findAccount(db: Db, email: string) {
  const addr = parseAddress(email);
  const account = addr ? await db.account.findUnique({ where: { email: addr.address } }) : null;
  if (!account) throw new DirectoryError(`account ${email} does not exist`);
  return account;
}

export async function setPassword(db: Db, email: string, password: string, actor: string) {
  const account = await findAccount(db, email);
  const problem = passwordProblem(password);
  if (problem) throw new DirectoryError(problem);
  await db.account.update({ where: { id: account.id }, data: { passwordHash: await hashPassword(password) } });
  await audit(db, actor, "account.passwd", account.email);
}

export async function removeAccount(db: Db, email: string, actor: string) {
  const account = await findAccount(db, email);
  await db.$transaction([
    db.alias.deleteMany({ where: { destination: account.email } }),
    db.account.delete({ where: { id: account.id } }),
  ]);
  await audit(db, actor, "account.remove", account.email);
}

export async function adminExists(db: Db): Promise<boolean> {
  return (await db.account.count({ where: { role: "admin", disabled: false } })) > 0;
}

/** `address` is local@domain or @domain (the domain's catch-all); `destination` any address. */
export async function addAlias(db: Db, address: string, destination: string, actor: string) {
  let key: string;
  let domainName: string;
  if (address.trim().startsWith("@")) {
    const d = normaliseDomain(address.trim().slice(1));
    if (!d) throw new DirectoryError(`"${address}" is not a catch-all (expected @example.com)`);
    key = catchAllKey(d);
    domainName = d;
  } else {
    const a = parseAddress(address);
    if (!a) throw new DirectoryError(`"${address}" is not a mail address (expected local@domain, or @domain for a catch-all)`);
    key = a.address;
    domainName = a.domain;
  }
  const dest = parseAddress(destination);
  if (!dest) throw new DirectoryError(`destination "${destination}" is not a mail address`);
  const domain = await db.domain.findUnique({ where: { name: domainName } });
  if (!domain) throw new DirectoryError(`domain ${domainName} is not a local domain; add it first (mailctl domain add ${domainName})`);
  if (key === dest.address) throw new DirectoryError("an alias cannot point to itself");
  if (await db.account.findUnique({ where: { email: key } })) throw new DirectoryError(`${key} is an account; an alias cannot shadow it`);
  if (await db.alias.findUnique({ where: { address_destination: { address: key, destination: dest.address } } })) {
    throw new DirectoryError(`alias ${key} -> ${dest.address} already exists`);
  }
  const row = await db.alias.create({ data: { address: key, destination: dest.address, domainId: domain.id } });
  await audit(db, actor, "alias.add", key, dest.address);
  return row;
}

export async function listAliases(db: Db) {
  return db.alias.findMany({ orderBy: [{ address: "asc" }, { destination: "asc" }], select: { id: true, address: true, destination: true, createdAt: true } });
}

/** Removes one destination of an alias, or every destination when none is given. */
export async function removeAlias(db: Db, address: string, destination: string | undefined, actor: string) {
  const key = address.trim().startsWith("@") ? catchAllKey(normaliseDomain(address.trim().slice(1)) ?? "") : parseAddress(address)?.address ?? address;
  const dest = destination ? parseAddress(destination)?.address ?? destination : undefined;
  const { count } = await db.alias.deleteMany({ where: { address: key, ...(dest ? { destination: dest } : {}) } });
  if (count === 0) throw new DirectoryError(`no alias ${key}${dest ? ` -> ${dest}` : ""}`);
  await audit(db, actor, "alias.remove", key, dest ?? "");
}
