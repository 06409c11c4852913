-- "Always show images from this sender": the From addresses (lower-case) whose messages an
-- account opens with their remote images (lib/web/image-senders.ts; removable in /settings).
CREATE TABLE "RemoteImageSender" (
    "accountId" TEXT NOT NULL,
    "address" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "RemoteImageSender_pkey" PRIMARY KEY ("accountId","address")
);

-- AddForeignKey
ALTER TABLE "RemoteImageSender" ADD CONSTRAINT "RemoteImageSender_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

