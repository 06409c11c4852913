-- AlterTable
ALTER TABLE "Mailbox" ADD COLUMN     "keywords" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "messageCount" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "totalBytes" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN     "unseenCount" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "Blob" ADD COLUMN     "refCount" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "structure" TEXT;

-- AlterTable
ALTER TABLE "OutboundMessage" ADD COLUMN     "bodyOffset" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "MessageKeyword" (
    "messageId" TEXT NOT NULL,
    "mailboxId" TEXT NOT NULL,
    "keyword" TEXT NOT NULL,

    CONSTRAINT "MessageKeyword_pkey" PRIMARY KEY ("messageId","keyword")
);

-- CreateTable
CREATE TABLE "MailboxChange" (
    "id" SERIAL NOT NULL,
    "accountId" TEXT NOT NULL,
    "mailboxId" TEXT NOT NULL,
    "modSeq" BIGINT NOT NULL,
    "kind" TEXT NOT NULL,
    "uids" TEXT NOT NULL DEFAULT '',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "MailboxChange_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "StoreCounter" (
    "name" TEXT NOT NULL,
    "value" BIGINT NOT NULL,

    CONSTRAINT "StoreCounter_pkey" PRIMARY KEY ("name")
);

-- CreateIndex
CREATE INDEX "MessageKeyword_mailboxId_keyword_idx" ON "MessageKeyword"("mailboxId", "keyword");

-- CreateIndex
CREATE INDEX "MailboxChange_mailboxId_modSeq_idx" ON "MailboxChange"("mailboxId", "modSeq");

-- CreateIndex
CREATE INDEX "MailboxChange_accountId_id_idx" ON "MailboxChange"("accountId", "id");

-- CreateIndex
CREATE INDEX "MailboxChange_createdAt_idx" ON "MailboxChange"("createdAt");

-- CreateIndex
CREATE INDEX "Blob_refCount_idx" ON "Blob"("refCount");

-- AddForeignKey
ALTER TABLE "MessageKeyword" ADD CONSTRAINT "MessageKeyword_messageId_fkey" FOREIGN KEY ("messageId") REFERENCES "Message"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MessageKeyword" ADD CONSTRAINT "MessageKeyword_mailboxId_fkey" FOREIGN KEY ("mailboxId") REFERENCES "Mailbox"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Existing data: counters, reference counts, keywords.
UPDATE "Mailbox" b SET
  "messageCount" = (SELECT count(*) FROM "Message" m WHERE m."mailboxId" = b."id"),
  "unseenCount" = (SELECT count(*) FROM "Message" m WHERE m."mailboxId" = b."id" AND NOT m."seen"),
  "totalBytes" = (SELECT coalesce(sum(m."size"), 0) FROM "Message" m WHERE m."mailboxId" = b."id");
UPDATE "Blob" b SET "refCount" =
  (SELECT count(*) FROM "Message" m WHERE m."blobHash" = b."hash") +
  (SELECT count(*) FROM "OutboundMessage" o WHERE o."blobHash" = b."hash");
UPDATE "Account" a SET "usedBytes" = (SELECT coalesce(sum(m."size"), 0) FROM "Message" m WHERE m."accountId" = a."id");
-- UIDVALIDITY: see the SQLite migration for the choice of the starting value.
INSERT INTO "StoreCounter" ("name", "value") VALUES ('uidvalidity',
  greatest(coalesce((SELECT max("uidValidity") FROM "Mailbox"), 0), floor((extract(epoch FROM now()) - 1577836800) / 60)::bigint));

-- Counters kept by the database itself, so that every path (the store's writers, Prisma,
-- cascades when an account or mailbox is deleted) keeps them right in the same transaction.
CREATE FUNCTION "message_counters"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE "Mailbox" SET "messageCount" = "messageCount" + 1, "unseenCount" = "unseenCount" + (CASE WHEN NEW."seen" THEN 0 ELSE 1 END), "totalBytes" = "totalBytes" + NEW."size" WHERE "id" = NEW."mailboxId";
    UPDATE "Account" SET "usedBytes" = "usedBytes" + NEW."size" WHERE "id" = NEW."accountId";
    UPDATE "Blob" SET "refCount" = "refCount" + 1 WHERE "hash" = NEW."blobHash";
    RETURN NEW;
  ELSIF TG_OP = 'DELETE' THEN
    UPDATE "Mailbox" SET "messageCount" = "messageCount" - 1, "unseenCount" = "unseenCount" - (CASE WHEN OLD."seen" THEN 0 ELSE 1 END), "totalBytes" = "totalBytes" - OLD."size" WHERE "id" = OLD."mailboxId";
    UPDATE "Account" SET "usedBytes" = "usedBytes" - OLD."size" WHERE "id" = OLD."accountId";
    UPDATE "Blob" SET "refCount" = "refCount" - 1 WHERE "hash" = OLD."blobHash";
    RETURN OLD;
  ELSE
    IF OLD."seen" IS DISTINCT FROM NEW."seen" THEN
      UPDATE "Mailbox" SET "unseenCount" = "unseenCount" + (CASE WHEN NEW."seen" THEN -1 ELSE 1 END) WHERE "id" = NEW."mailboxId";
    END IF;
    RETURN NEW;
  END IF;
END $$;
CREATE TRIGGER "Message_counters" AFTER INSERT OR DELETE OR UPDATE OF "seen" ON "Message" FOR EACH ROW EXECUTE FUNCTION "message_counters"();

CREATE FUNCTION "outbound_refcount"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE "Blob" SET "refCount" = "refCount" + 1 WHERE "hash" = NEW."blobHash";
    RETURN NEW;
  END IF;
  UPDATE "Blob" SET "refCount" = "refCount" - 1 WHERE "hash" = OLD."blobHash";
  RETURN OLD;
END $$;
CREATE TRIGGER "OutboundMessage_refcount" AFTER INSERT OR DELETE ON "OutboundMessage" FOR EACH ROW EXECUTE FUNCTION "outbound_refcount"();
