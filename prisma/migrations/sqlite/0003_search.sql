-- Full-text index for IMAP SEARCH TEXT / BODY (lib/store/search-index.ts): one entry per
-- blob, however many mailboxes hold the message. "BlobText" maps a blob hash to the
-- FTS5 rowid; "BlobFts" holds the words (contentless: the words are not stored twice).
-- Both go with their Blob row (trigger), so the blob sweeper keeps the index in step.
-- Every blob has a "BlobText" row; "pending" = 1 marks one whose words are not indexed yet
-- (stored before this migration, or unreadable at delivery): searches scan those, and
-- the engine's sweeper indexes them (MailStore.indexPending).
-- Not in schema.prisma: Prisma cannot express FTS5 tables; nothing reads them through Prisma.

CREATE TABLE "BlobText" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "hash" TEXT NOT NULL,
    "pending" INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX "BlobText_hash_key" ON "BlobText"("hash");
CREATE INDEX "BlobText_pending_idx" ON "BlobText"("hash") WHERE "pending" = 1;
INSERT INTO "BlobText" ("hash", "pending") SELECT "hash", 1 FROM "Blob";

CREATE VIRTUAL TABLE "BlobFts" USING fts5("head", "body", content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 0');

CREATE TRIGGER "Blob_search_delete" AFTER DELETE ON "Blob" BEGIN
  DELETE FROM "BlobFts" WHERE rowid = (SELECT "id" FROM "BlobText" WHERE "hash" = old."hash");
  DELETE FROM "BlobText" WHERE "hash" = old."hash";
END;
