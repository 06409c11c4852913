-- The webmail list's sorts by sender, subject and size (lib/store/list-sort.ts): each
-- read from one index on (mailboxId, key, uid) in the list's own direction, so the first
-- slice and a slice deep in the list are one index walk. The sender and subject keys are
-- stored, written by the store's delivery and copy ops (a move keeps the row).
ALTER TABLE "Message" ADD COLUMN "sortFrom" TEXT NOT NULL DEFAULT '',
ADD COLUMN "sortSubject" TEXT NOT NULL DEFAULT '';
-- Messages already stored: the same keys as far as SQL can say them. lower() folds ASCII
-- only on SQLite, and one Re:/Fwd:/Fw: prefix is removed here where the ops remove all.
UPDATE "Message" SET
  "sortFrom" = lower(trim(CASE WHEN trim("fromName") <> '' THEN "fromName" ELSE "fromAddress" END)),
  "sortSubject" = lower(trim(CASE
    WHEN lower(trim("subject")) LIKE 're:%' OR lower(trim("subject")) LIKE 'fw:%' THEN substr(trim("subject"), 4)
    WHEN lower(trim("subject")) LIKE 'fwd:%' THEN substr(trim("subject"), 5)
    ELSE "subject" END));
CREATE INDEX "Message_mailboxId_sortFrom_uid_idx" ON "Message"("mailboxId", "sortFrom", "uid" DESC);
CREATE INDEX "Message_mailboxId_sortSubject_uid_idx" ON "Message"("mailboxId", "sortSubject", "uid" DESC);
CREATE INDEX "Message_mailboxId_size_uid_idx" ON "Message"("mailboxId", "size", "uid");
