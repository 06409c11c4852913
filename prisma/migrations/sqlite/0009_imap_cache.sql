-- IMAP FETCH ENVELOPE and BODYSTRUCTURE of a blob, rendered once (lib/imap/structure.ts)
-- when it is delivered, as Dovecot keeps them in its cache file: a FETCH of a whole
-- mailbox reads stored text instead of rendering every message again. Kept apart from
-- "Blob", whose later columns sit behind the inline message bytes (reading them walks the
-- row's overflow pages). Blobs stored before this migration are filled in on their first
-- FETCH (lib/store/imap-cache.ts). Goes with its Blob row (trigger).
-- Not in schema.prisma: only the store reads it, in raw SQL.
CREATE TABLE "BlobImap" (
    "hash" TEXT NOT NULL PRIMARY KEY,
    "envelope" TEXT NOT NULL,
    "bodyStructure" TEXT NOT NULL
);

CREATE TRIGGER "Blob_imap_delete" AFTER DELETE ON "Blob" BEGIN
  DELETE FROM "BlobImap" WHERE "hash" = old."hash";
END;
