/**
 * The full-text index behind IMAP SEARCH TEXT and BODY: one entry per blob (a message
 * held by many mailboxes is indexed once), written by the delivery transaction next to
 * the Blob row and deleted with it (a trigger on SQLite, ON DELETE CASCADE on
 * PostgreSQL; see prisma/migrations/*\/0003_search.sql). The words come from
 * lib/mime/search-text.ts, extracted before the transaction.
 *
 * SQLite: an FTS5 table (contentless) whose rowid is "BlobText"."id", and "SearchTerm",
 * every word indexed (for substring searches).
 * PostgreSQL: "BlobText" with a tsvector per column (lexemes as given, array_to_tsvector)
 * and GIN indexes.
 *
 * Every blob a message uses has a "BlobText" row. Without words (a blob stored before the
 * index existed, or whose text could not be read at delivery) the row is "pending":
 * searches scan such blobs, and indexPending() below fills them in.
 */
import type { SearchText } from "../mime/search-text";
import type { StoreTx } from "./tx";

/** Writes a blob's entry: its words, or a pending row when `text` is null. An indexed entry is never overwritten. */
export async function indexBlobText(tx: StoreTx, hash: string, text: SearchText | null): Promise<void> {
  if (tx.dialect === "sqlite") {
    if (!text) {
      await tx.run(`INSERT INTO "BlobText" ("hash", "pending") VALUES ($1, 1) ON CONFLICT ("hash") DO NOTHING`, [hash]);
      return;
    }
    const row = await tx.get<{ id: number }>(
      `INSERT INTO "BlobText" ("hash", "pending") VALUES ($1, 0) ON CONFLICT ("hash") DO UPDATE SET "pending" = 0 WHERE "BlobText"."pending" = 1 RETURNING "id"`,
      [hash],
    );
    if (row) {
      await tx.run(`INSERT INTO "BlobFts" (rowid, "head", "body") VALUES ($1, $2, $3)`, [row.id, text.head, text.body]);
      // The vocabulary substring searches scan (lib/store/search.ts).
      const terms = new Set(`${text.head} ${text.body}`.split(" ").filter(Boolean));
      if (terms.size) await tx.run(`INSERT INTO "SearchTerm" ("term") SELECT value FROM json_each($1) WHERE true ON CONFLICT DO NOTHING`, [JSON.stringify([...terms])]);
    }
    return;
  }
  if (!text) {
    await tx.run(`INSERT INTO "BlobText" ("hash", "head", "body", "pending") VALUES ($1, ''::tsvector, ''::tsvector, true) ON CONFLICT ("hash") DO NOTHING`, [hash]);
    return;
  }
  await tx.run(
    `INSERT INTO "BlobText" ("hash", "head", "body", "pending") VALUES ($1, array_to_tsvector(string_to_array($2, ' ')), array_to_tsvector(string_to_array($3, ' ')), false)
     ON CONFLICT ("hash") DO UPDATE SET "head" = excluded."head", "body" = excluded."body", "pending" = false WHERE "BlobText"."pending"`,
    [hash, text.head, text.body],
  );
}

/** The op MailStore.indexPending runs: the words of blobs that were pending, read outside the transaction. */
export async function indexBlobTexts(tx: StoreTx, a: { entries: Array<{ hash: string; text: SearchText }> }): Promise<number> {
  let n = 0;
  for (const e of a.entries) {
    // The blob may have been swept meanwhile: only existing pending rows are filled in.
    const row = await tx.get(`SELECT 1 AS "x" FROM "BlobText" WHERE "hash" = $1 AND "pending" = $2`, [e.hash, true]);
    if (!row) continue;
    await indexBlobText(tx, e.hash, e.text);
    n++;
  }
  return n;
}
