-- IMAP FETCH ENVELOPE and BODYSTRUCTURE of a blob, rendered once (lib/imap/structure.ts)
-- when it is delivered, as Dovecot keeps them in its cache file: a FETCH of a whole
-- mailbox reads stored text instead of rendering every message again. Blobs stored
-- before this migration are filled in on their first FETCH (lib/store/imap-cache.ts).
-- Deleted with its Blob row (cascade). Not in schema.prisma: only the store reads it, in raw SQL.
CREATE TABLE "BlobImap" (
    "hash" TEXT NOT NULL PRIMARY KEY REFERENCES "Blob"("hash") ON DELETE CASCADE ON UPDATE CASCADE,
    "envelope" TEXT NOT NULL,
    "bodyStructure" TEXT NOT NULL
);
