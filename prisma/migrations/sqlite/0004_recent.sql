-- IMAP4rev1 \Recent (RFC 3501 2.3.2): the highest UID of the mailbox some session was
-- told of as recent. A read-write SELECT (or a selected session seeing new mail) raises
-- it; the UIDs it passed over are \Recent for that session alone.
ALTER TABLE "Mailbox" ADD COLUMN "recentUid" INTEGER NOT NULL DEFAULT 0;
