/**
 * The full-text index behind IMAP SEARCH TEXT and BODY: one entry per blob (a message
 * held by many mailboxes is indexed once), written by the delivery transaction next to
 * the Blob row and deleted with it (a trigger on SQLite, ON DELETE CASCADE on
 * PostgreSQL; see prisma/migrations/*\/0003_search.sql). The words come from
 * lib/mime/search-text.ts, extracted before the transaction.
 *
 * SQLite: an FTS5 table (contentless) whose rowid is "BlobText"."id".
 * PostgreSQL: "BlobText" with a tsvector per column (lexemes as given, array_to_tsvector)
 * and GIN indexes.
 */
import type { SearchText } from "../mime/search-text";
import type { StoreTx } from "./tx";

export async function indexBlobText(tx: StoreTx, hash: string, text: SearchText): Promise<void> {
  if (tx.dialect === "sqlite") {
    const row = await tx.get<{ id: number }>(`INSERT INTO "BlobText" ("hash") VALUES ($1) ON CONFLICT ("hash") DO NOTHING RETURNING "id"`, [hash]);
    if (row) await tx.run(`INSERT INTO "BlobFts" (rowid, "head", "body") VALUES ($1, $2, $3)`, [row.id, text.head, text.body]);
    return;
  }
  await tx.run(
    `INSERT INTO "BlobText" ("hash", "head", "body") VALUES ($1, array_to_tsvector(string_to_array($2, ' ')), array_to_tsvector(string_to_array($3, ' ')))
     ON CONFLICT ("hash") DO NOTHING`,
    [hash, text.head, text.body],
  );
}
