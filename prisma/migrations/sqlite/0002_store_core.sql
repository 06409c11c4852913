-- Store core: mailbox counters, keyword index, change journal, UIDVALIDITY counter,
-- blob reference counts and stored MIME structure. Written by hand from
-- `prisma migrate diff` (ALTER TABLE ADD COLUMN instead of Prisma's table rebuild,
-- whose DROP TABLE would cascade into Message while foreign keys are on), plus the
-- triggers Prisma cannot express.

ALTER TABLE "Mailbox" ADD COLUMN "messageCount" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "Mailbox" ADD COLUMN "unseenCount" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "Mailbox" ADD COLUMN "totalBytes" BIGINT NOT NULL DEFAULT 0;
ALTER TABLE "Mailbox" ADD COLUMN "keywords" TEXT NOT NULL DEFAULT '';
ALTER TABLE "Blob" ADD COLUMN "refCount" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "Blob" ADD COLUMN "structure" TEXT;
ALTER TABLE "OutboundMessage" ADD COLUMN "bodyOffset" INTEGER NOT NULL DEFAULT 0;

CREATE TABLE "MessageKeyword" (
    "messageId" TEXT NOT NULL,
    "mailboxId" TEXT NOT NULL,
    "keyword" TEXT NOT NULL,

    PRIMARY KEY ("messageId", "keyword"),
    CONSTRAINT "MessageKeyword_messageId_fkey" FOREIGN KEY ("messageId") REFERENCES "Message" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "MessageKeyword_mailboxId_fkey" FOREIGN KEY ("mailboxId") REFERENCES "Mailbox" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE TABLE "MailboxChange" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "accountId" TEXT NOT NULL,
    "mailboxId" TEXT NOT NULL,
    "modSeq" BIGINT NOT NULL,
    "kind" TEXT NOT NULL,
    "uids" TEXT NOT NULL DEFAULT '',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE "StoreCounter" (
    "name" TEXT NOT NULL PRIMARY KEY,
    "value" BIGINT NOT NULL
);

CREATE INDEX "MessageKeyword_mailboxId_keyword_idx" ON "MessageKeyword"("mailboxId", "keyword");
CREATE INDEX "MailboxChange_mailboxId_modSeq_idx" ON "MailboxChange"("mailboxId", "modSeq");
CREATE INDEX "MailboxChange_accountId_id_idx" ON "MailboxChange"("accountId", "id");
CREATE INDEX "MailboxChange_createdAt_idx" ON "MailboxChange"("createdAt");
CREATE INDEX "Blob_refCount_idx" ON "Blob"("refCount");

-- Existing data: counters, reference counts, keywords.
UPDATE "Mailbox" SET
  "messageCount" = (SELECT count(*) FROM "Message" m WHERE m."mailboxId" = "Mailbox"."id"),
  "unseenCount" = (SELECT count(*) FROM "Message" m WHERE m."mailboxId" = "Mailbox"."id" AND m."seen" = 0),
  "totalBytes" = (SELECT coalesce(sum(m."size"), 0) FROM "Message" m WHERE m."mailboxId" = "Mailbox"."id");
UPDATE "Blob" SET "refCount" =
  (SELECT count(*) FROM "Message" m WHERE m."blobHash" = "Blob"."hash") +
  (SELECT count(*) FROM "OutboundMessage" o WHERE o."blobHash" = "Blob"."hash");
UPDATE "Account" SET "usedBytes" = (SELECT coalesce(sum(m."size"), 0) FROM "Message" m WHERE m."accountId" = "Account"."id");
-- UIDVALIDITY: above every value handed out so far (those were seconds since 1970); a
-- new installation starts at minutes since 2020, so a re-installed server's new
-- mailboxes do not repeat the values of its previous life, and the counter fits a
-- signed 32-bit column for thousands of years of one-per-minute growth.
INSERT INTO "StoreCounter" ("name", "value") VALUES ('uidvalidity',
  max(coalesce((SELECT max("uidValidity") FROM "Mailbox"), 0), CAST((strftime('%s', 'now') - 1577836800) / 60 AS INTEGER)));

-- Counters kept by the database itself, so that every path (the store's writers, Prisma,
-- cascades when an account or mailbox is deleted) keeps them right in the same transaction.
CREATE TRIGGER "Message_counters_insert" AFTER INSERT ON "Message" BEGIN
  UPDATE "Mailbox" SET "messageCount" = "messageCount" + 1, "unseenCount" = "unseenCount" + (1 - NEW."seen"), "totalBytes" = "totalBytes" + NEW."size" WHERE "id" = NEW."mailboxId";
  UPDATE "Account" SET "usedBytes" = "usedBytes" + NEW."size" WHERE "id" = NEW."accountId";
  UPDATE "Blob" SET "refCount" = "refCount" + 1 WHERE "hash" = NEW."blobHash";
END;
CREATE TRIGGER "Message_counters_delete" AFTER DELETE ON "Message" BEGIN
  UPDATE "Mailbox" SET "messageCount" = "messageCount" - 1, "unseenCount" = "unseenCount" - (1 - OLD."seen"), "totalBytes" = "totalBytes" - OLD."size" WHERE "id" = OLD."mailboxId";
  UPDATE "Account" SET "usedBytes" = "usedBytes" - OLD."size" WHERE "id" = OLD."accountId";
  UPDATE "Blob" SET "refCount" = "refCount" - 1 WHERE "hash" = OLD."blobHash";
END;
CREATE TRIGGER "Message_counters_seen" AFTER UPDATE OF "seen" ON "Message" WHEN OLD."seen" != NEW."seen" BEGIN
  UPDATE "Mailbox" SET "unseenCount" = "unseenCount" + (OLD."seen" - NEW."seen") WHERE "id" = NEW."mailboxId";
END;
CREATE TRIGGER "OutboundMessage_refcount_insert" AFTER INSERT ON "OutboundMessage" BEGIN
  UPDATE "Blob" SET "refCount" = "refCount" + 1 WHERE "hash" = NEW."blobHash";
END;
CREATE TRIGGER "OutboundMessage_refcount_delete" AFTER DELETE ON "OutboundMessage" BEGIN
  UPDATE "Blob" SET "refCount" = "refCount" - 1 WHERE "hash" = OLD."blobHash";
END;
