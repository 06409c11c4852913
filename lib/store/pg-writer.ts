/**
 * The PostgreSQL fast path of the store, used by the engine when DATABASE_URL is
 * PostgreSQL: the rows deliver() writes, as plain parameterised SQL over node-postgres.
 * Through Prisma the same transaction cost about 14 ms of CPU per message (query
 * compilation and its runtime for eight queries), which capped inbound SMTP near 75
 * messages/s. Each delivery is one transaction on a pooled connection; PostgreSQL
 * groups concurrent commits itself. The rows are exactly those Prisma writes (same
 * ids, timestamps as UTC wall time in TIMESTAMP(3) columns), and the web app reads
 * them with Prisma.
 */
import pg from "pg";
import { createId } from "../domain/ids";
import type { Delivered, PreparedDelivery, RowWriter } from "./deliver";
import type { DirectoryLookup, LocalAccount } from "../routing/resolve";
import { INBOX } from "./mailboxes";

/** UTC wall time, as Prisma stores DateTime in TIMESTAMP(3) (without time zone). */
const utc = (d: Date) => d.toISOString().slice(0, -1);

const SQL = {
  blob: `INSERT INTO "Blob" ("hash", "size", "data", "createdAt") VALUES ($1, $2, $3, $4) ON CONFLICT ("hash") DO NOTHING`,
  mailbox: `UPDATE "Mailbox" SET "uidNext" = "uidNext" + 1, "highestModSeq" = "highestModSeq" + 1 WHERE "accountId" = $1 AND "name" = $2 RETURNING "id", "uidNext", "highestModSeq"`,
  thread: `SELECT "threadId" FROM "Message" WHERE "accountId" = $1 AND "messageIdHeader" = ANY($2::text[]) AND "threadId" != '' LIMIT 1`,
  message: `INSERT INTO "Message" ("id", "mailboxId", "accountId", "uid", "modSeq", "blobHash", "size", "internalDate", "seen", "answered", "flagged", "deleted", "draft", "keywords",
      "fromAddress", "fromName", "toAddresses", "ccAddresses", "subject", "sentDate", "messageIdHeader", "inReplyTo", "references", "snippet", "hasAttachments", "threadId", "queueId")
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, false, $12, '', $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)`,
  used: `UPDATE "Account" SET "usedBytes" = "usedBytes" + $1 WHERE "id" = $2`,
  outbound: `INSERT INTO "OutboundMessage" ("id", "accountId", "mailFrom", "blobHash", "size", "isDsn", "createdAt") VALUES ($1, $2, $3, $4, $5, false, $6)`,
  recipient: `INSERT INTO "OutboundRecipient" ("id", "messageId", "address", "domain", "status", "attempts", "nextAttemptAt", "lastReply", "delayNotified", "createdAt") VALUES ($1, $2, $3, $4, 'queued', 0, $5, '', false, $5)`,
  log: `INSERT INTO "DeliveryLog" ("id", "queueId", "recipient", "event", "detail", "remoteHost", "tls", "createdAt") SELECT unnest($1::text[]), $2, unnest($3::text[]), unnest($4::text[]), unnest($5::text[]), '', '', $6`,
};

/** A connection pool whose idle connections may die (server restart) without crashing the engine. */
export function createPgPool(connectionString: string, max = 8): pg.Pool {
  const pool = new pg.Pool({ connectionString, max });
  pool.on("error", () => undefined); // the next query reconnects
  return pool;
}

export class PgStoreWriter implements RowWriter {
  readonly parsesSummaries = false;

  constructor(private readonly pool: pg.Pool) {}

  async write(d: PreparedDelivery): Promise<Delivered[]> {
    const s = d.summary;
    if (d.targets.length && (!s || !d.blob)) throw new Error(`delivery ${d.queueId} has targets but no ${s ? "blob" : "summary"}`);
    const client = await this.pool.connect();
    let broken = false; // a connection that cannot even roll back is dropped, not reused
    try {
      await client.query("BEGIN");
      const out = await this.apply(client, d);
      await client.query("COMMIT");
      return out;
    } catch (err) {
      await client.query("ROLLBACK").catch(() => (broken = true));
      throw err;
    } finally {
      client.release(broken);
    }
  }

  private async apply(c: pg.PoolClient, d: PreparedDelivery): Promise<Delivered[]> {
    const now = utc(new Date());
    const s = d.summary;
    for (const b of new Set([d.blob, d.queueBlob])) if (b) await c.query(SQL.blob, [b.hash, b.size, b.inlineData, now]);
    const out: Delivered[] = [];
    const threads = new Map<string, string>();
    const refs = s ? [s.inReplyTo, ...s.references.slice().reverse()].filter(Boolean) : [];
    for (const t of d.targets) {
      if (!s || !d.blob) break;
      const mb = (await c.query<{ id: string; uidNext: number; highestModSeq: string }>(SQL.mailbox, [t.accountId, t.mailbox ?? INBOX])).rows[0];
      if (!mb) throw new Error(`account ${t.accountId} has no folder ${t.mailbox ?? INBOX}`);
      const id = createId();
      if (!threads.has(t.accountId)) {
        // Prisma's findFirst with IN picks any match; so does this.
        const r = refs.length ? (await c.query<{ threadId: string }>(SQL.thread, [t.accountId, refs])).rows[0] : undefined;
        threads.set(t.accountId, r?.threadId ?? "");
      }
      const uid = mb.uidNext - 1;
      await c.query(SQL.message, [
        id, mb.id, t.accountId, uid, mb.highestModSeq, d.blob.hash, d.blob.size, utc(d.internalDate),
        !!t.flags?.seen, !!t.flags?.answered, !!t.flags?.flagged, !!t.flags?.draft,
        s.fromAddress, s.fromName, JSON.stringify(s.to), JSON.stringify(s.cc), s.subject, s.sentDate ? utc(s.sentDate) : null,
        s.messageId, s.inReplyTo, s.references.join(" "), s.snippet, s.hasAttachments, threads.get(t.accountId) || id, d.queueId,
      ]);
      await c.query(SQL.used, [d.blob.size, t.accountId]);
      out.push({ accountId: t.accountId, mailboxId: mb.id, messageId: id, uid });
    }
    if (d.queue && d.queueBlob) {
      await c.query(SQL.outbound, [d.queueId, d.queue.accountId, d.queue.mailFrom, d.queueBlob.hash, d.queueBlob.size, now]);
      for (const a of d.queue.recipients) await c.query(SQL.recipient, [createId(), d.queueId, a, a.slice(a.lastIndexOf("@") + 1), now]);
    }
    const logs: Array<[string, string, string]> = [];
    if (d.receivedFrom) logs.push(["", "received", d.receivedFrom]);
    for (const t of d.targets) logs.push([t.recipient ?? "", "delivered", `to ${t.mailbox ?? INBOX}`]);
    if (d.queue) for (const r of d.queue.recipients) logs.push([r, "queued", "for remote delivery"]);
    if (logs.length) await c.query(SQL.log, [logs.map(() => createId()), d.queueId, logs.map((l) => l[0]), logs.map((l) => l[1]), logs.map((l) => l[2]), now]);
    return out;
  }

}

/** The reads recipient resolution needs, as plain queries (PostgreSQL counterpart of SqliteLookup). */
export class PgLookup implements DirectoryLookup {
  constructor(private readonly pool: pg.Pool) {}

  async domainExists(name: string): Promise<boolean> {
    return (await this.pool.query(`SELECT 1 FROM "Domain" WHERE "name" = $1`, [name])).rowCount! > 0;
  }
  async aliasDestinations(address: string): Promise<string[]> {
    return (await this.pool.query<{ destination: string }>(`SELECT "destination" FROM "Alias" WHERE "address" = $1`, [address])).rows.map((r) => r.destination);
  }
  async account(email: string): Promise<(LocalAccount & { disabled: boolean }) | null> {
    const r = (await this.pool.query<{ id: string; email: string; quotaBytes: string; usedBytes: string; disabled: boolean }>(
      `SELECT "id", "email", "quotaBytes", "usedBytes", "disabled" FROM "Account" WHERE "email" = $1`,
      [email],
    )).rows[0];
    return r ? { id: r.id, email: r.email, quotaBytes: BigInt(r.quotaBytes), usedBytes: BigInt(r.usedBytes), disabled: r.disabled } : null;
  }
}
