-- The webmail's list order (internal date, then UID, both descending) and its keyset
-- cursor (lib/store/read.ts listMessages) read this index alone: no sort of ties.
DROP INDEX "Message_mailboxId_internalDate_idx";
CREATE INDEX "Message_mailboxId_internalDate_uid_idx" ON "Message"("mailboxId", "internalDate", "uid");
