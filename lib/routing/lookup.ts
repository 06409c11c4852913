/**
 * The engine's recipient look-ups as plain SQL beside Prisma (about 1-2 ms of CPU per
 * query through Prisma, on the path of every RCPT): prepared statements on a read-only
 * SQLite connection, or parameterised queries on the engine's PostgreSQL pool.
 */
import Database from "better-sqlite3";
import type pg from "pg";
import type { DirectoryLookup, LocalAccount } from "./resolve";

/** The reads recipient resolution needs, as statements prepared once on a read-only connection. */
export class SqliteLookup implements DirectoryLookup {
  private readonly conn: Database.Database;
  private readonly s: Record<"domain" | "aliases" | "account", Database.Statement>;

  constructor(file: string) {
    this.conn = new Database(file, { readonly: true, timeout: 15_000 });
    this.s = {
      domain: this.conn.prepare(`SELECT 1 FROM "Domain" WHERE "name" = ?`),
      aliases: this.conn.prepare(`SELECT "destination" FROM "Alias" WHERE "address" = ?`),
      account: this.conn.prepare(`SELECT "id", "email", "quotaBytes", "usedBytes", "disabled" FROM "Account" WHERE "email" = ?`).safeIntegers(true),
    };
  }

  async domainExists(name: string): Promise<boolean> {
    return this.s.domain.get(name) !== undefined;
  }
  async aliasDestinations(address: string): Promise<string[]> {
    return (this.s.aliases.all(address) as Array<{ destination: string }>).map((r) => r.destination);
  }
  async account(email: string): Promise<(LocalAccount & { disabled: boolean }) | null> {
    const r = this.s.account.get(email) as { id: string; email: string; quotaBytes: bigint; usedBytes: bigint; disabled: bigint } | undefined;
    return r ? { id: r.id, email: r.email, quotaBytes: r.quotaBytes, usedBytes: r.usedBytes, disabled: r.disabled !== 0n } : null;
  }

  close(): void {
    this.conn.close();
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
