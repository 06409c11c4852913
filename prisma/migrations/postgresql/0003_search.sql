-- Full-text index for IMAP SEARCH TEXT / BODY (lib/store/search-index.ts): one row per
-- blob, however many mailboxes hold the message, deleted with its Blob row (cascade).
-- The words are computed by the application (lib/mime/search-text.ts) and stored as
-- lexemes with array_to_tsvector, so PostgreSQL and SQLite split words the same way.
-- Every blob has a row; "pending" marks one whose words are not indexed yet (stored
-- before this migration, or unreadable at delivery): searches scan those, and the
-- engine's sweeper indexes them (MailStore.indexPending).
-- Not in schema.prisma: nothing reads it through Prisma.

CREATE TABLE "BlobText" (
    "hash" TEXT NOT NULL PRIMARY KEY REFERENCES "Blob"("hash") ON DELETE CASCADE ON UPDATE CASCADE,
    "head" tsvector NOT NULL,
    "body" tsvector NOT NULL,
    "pending" BOOLEAN NOT NULL DEFAULT false
);
CREATE INDEX "BlobText_pending_idx" ON "BlobText"("hash") WHERE "pending";
INSERT INTO "BlobText" ("hash", "head", "body", "pending") SELECT "hash", ''::tsvector, ''::tsvector, true FROM "Blob";
CREATE INDEX "BlobText_head_idx" ON "BlobText" USING GIN ("head");
CREATE INDEX "BlobText_body_idx" ON "BlobText" USING GIN ("body");
