-- Full-text index for IMAP SEARCH TEXT / BODY (lib/store/search-index.ts): one row per
-- blob, however many mailboxes hold the message, deleted with its Blob row (cascade).
-- The words are computed by the application (lib/mime/search-text.ts) and stored as
-- lexemes with array_to_tsvector, so PostgreSQL and SQLite split words the same way.
-- Not in schema.prisma: nothing reads it through Prisma.

CREATE TABLE "BlobText" (
    "hash" TEXT NOT NULL PRIMARY KEY REFERENCES "Blob"("hash") ON DELETE CASCADE ON UPDATE CASCADE,
    "head" tsvector NOT NULL,
    "body" tsvector NOT NULL
);
CREATE INDEX "BlobText_head_idx" ON "BlobText" USING GIN ("head");
CREATE INDEX "BlobText_body_idx" ON "BlobText" USING GIN ("body");
