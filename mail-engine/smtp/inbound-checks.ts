/**
 * The MX's authentication step between receiving DATA and storing it. The message was
 * received without trace fields; once checked (authentication.ts) it is stored again
 * with Return-Path, our Authentication-Results and Received on top and any forged
 * Authentication-Results under our name taken out. For the usual small message both
 * copies are in memory; a large one is copied from its temporary file once. Nothing is
 * durable before the final copy commits, so the 250-after-fsync rule is unchanged.
 */
import { Readable } from "node:stream";
import type { BlobStore } from "../../lib/store/blob-store";
import type { DirectoryLookup } from "../../lib/routing/resolve";
import type { Db } from "../../lib/db/client";
import type { DeliveryTarget } from "../../lib/store";
import { receiveMessage, type ByteSink, type ReceivedMessage } from "./message-reader";
import { checkInbound, dropOurAuthResults, type DnsResolve, type Verdict } from "./authentication";
import { plainAddress } from "./connection-policy";
import { smtpError } from "./replies";
import type { Session } from "./transaction";

export interface CheckArgs {
  msg: ReceivedMessage;
  session: Session;
  mailFrom: string;
  hostname: string;
  resolver: DnsResolve;
  keyCacheMs: number;
  lookup: Pick<DirectoryLookup, "domainExists">;
  blobs: BlobStore;
  sink?: ByteSink;
  /** The trace fields to store in front, given the authentication fields. */
  prefix(authHeaders: string): Buffer;
}

/**
 * The targets moved to each account's Junk folder (found by its \Junk special use, so a
 * renamed one still counts). An account without one gets no copy it would read as
 * trusted: the message is refused (RFC 7489 6.7 lets a receiver be stricter than p=).
 */
export async function junkTargets(db: Db, targets: DeliveryTarget[]): Promise<DeliveryTarget[]> {
  const rows = await db.mailbox.findMany({ where: { accountId: { in: targets.map((t) => t.accountId) }, specialUse: "\\Junk" }, select: { accountId: true, name: true } });
  const junk = new Map(rows.map((r) => [r.accountId, r.name]));
  return targets.map((t) => {
    const name = junk.get(t.accountId);
    if (!name) throw smtpError(550, "5.7.1", "Message refused: it fails sender authentication (DMARC) and the recipient has no Junk folder");
    return { ...t, mailbox: name };
  });
}

/** Checks the message; refuses it (throws the SMTP error) or returns its final copy and the verdict. */
export async function checkReceived(a: CheckArgs): Promise<{ msg: ReceivedMessage; verdict: Verdict }> {
  const helo = a.session.hostNameAppearsAs || "";
  const verdict = await checkInbound({
    message: a.msg.read(),
    ip: plainAddress(a.session.remoteAddress),
    helo,
    // RFC 7208 2.4: for the null reverse-path SPF checks postmaster@<HELO>.
    mailFrom: a.mailFrom || `postmaster@${helo}`,
    hostname: a.hostname,
    resolver: a.resolver,
    keyCacheMs: a.keyCacheMs,
    isLocalDomain: (d) => a.lookup.domainExists(d),
  }).catch((err: unknown) => {
    // Anything unexpected in the checks: the sender retries; the message is not let through unchecked.
    throw Object.assign(smtpError(451, "4.7.0", "Temporary failure authenticating the message; try again later"), { cause: err });
  });
  if (verdict.reply) throw Object.assign(smtpError(verdict.reply.code, verdict.reply.enhanced, verdict.reply.text), { verdict });
  const { msg } = a;
  const header = msg.headerComplete ? dropOurAuthResults(msg.header, a.hostname) : Buffer.alloc(0);
  const from = msg.headerComplete ? msg.header.length : 0;
  const content = Readable.from(
    (async function* () {
      if (header.length) yield header;
      for await (const chunk of msg.read(from)) yield chunk as Buffer;
    })(),
  );
  const final = await receiveMessage(content, { blobs: a.blobs, sink: a.sink, prefix: () => a.prefix(verdict.headers) });
  await msg.discard();
  return { msg: final, verdict };
}
