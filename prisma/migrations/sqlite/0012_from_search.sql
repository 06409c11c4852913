-- SEARCH FROM (IMAP and the webmail's from:) read the stored envelope of every message
-- the first author's columns missed: a Blob row each, behind its inline bytes. What it
-- found there, the other authors of a From with several or the header of a From without
-- an address, now sits on the row (written by the delivery op, carried by copies).
ALTER TABLE "Message" ADD COLUMN "fromExtra" TEXT NOT NULL DEFAULT '';
-- Messages already stored: the From as written where it may name several authors (a
-- comma) or has no address the parser found.
UPDATE "Message" SET "fromExtra" = COALESCE((
    SELECT json_extract(b."structure", '$.envelope.from') FROM "Blob" b
    WHERE b."hash" = "Message"."blobHash" AND json_valid(b."structure")), '')
  WHERE EXISTS (
    SELECT 1 FROM "Blob" b
    WHERE b."hash" = "Message"."blobHash" AND json_valid(b."structure")
      AND (json_extract(b."structure", '$.envelope.from') LIKE '%,%'
        OR ("Message"."fromAddress" = '' AND json_extract(b."structure", '$.envelope.from') IS NOT NULL)));
