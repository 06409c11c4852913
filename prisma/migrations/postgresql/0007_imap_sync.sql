-- IMAP4rev1 \Recent (RFC 3501 2.3.2): the highest UID of the mailbox some session was
-- told of as recent. A read-write SELECT (or a selected session seeing new mail) raises
-- it; the UIDs it passed over are \Recent for that session alone.
ALTER TABLE "Mailbox" ADD COLUMN "recentUid" INTEGER NOT NULL DEFAULT 0;

-- QRESYNC (RFC 7162 3.2.5.2): expunged UIDs ("ExpungedMessage") are kept for a while, then
-- dropped; this is the highest MODSEQ whose expunges may have been dropped. A client
-- resynchronising from a MODSEQ at or below it is answered conservatively.
ALTER TABLE "Mailbox" ADD COLUMN "vanishedFloor" BIGINT NOT NULL DEFAULT 0;

-- Subscribed names that are not folders (RFC 3501 6.3.6); a folder's own is Mailbox.subscribed.
CREATE TABLE "Subscription" (
    "accountId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    CONSTRAINT "Subscription_pkey" PRIMARY KEY ("accountId", "name")
);
ALTER TABLE "Subscription" ADD CONSTRAINT "Subscription_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE ON UPDATE CASCADE;
