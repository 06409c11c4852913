-- SEARCH FROM (IMAP and the webmail's from:) read the stored envelope of every message
-- the first author's columns missed: a Blob row each. What it found there, the other
-- authors of a From with several or the header of a From without an address, now sits
-- on the row (written by the delivery op, carried by copies).
ALTER TABLE "Message" ADD COLUMN "fromExtra" TEXT NOT NULL DEFAULT '';
-- Messages already stored: the From as written where it may name several authors (a
-- comma) or has no address the parser found.
UPDATE "Message" m SET "fromExtra" = b."structure"::json->'envelope'->>'from'
  FROM "Blob" b
  WHERE b."hash" = m."blobHash" AND b."structure" LIKE '{%'
    AND ((b."structure"::json->'envelope'->>'from') LIKE '%,%'
      OR (m."fromAddress" = '' AND (b."structure"::json->'envelope'->>'from') IS NOT NULL));
