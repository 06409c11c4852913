-- "Always show images from this sender": the From addresses (lower-case) whose messages an
-- account opens with their remote images (lib/web/image-senders.ts; removable in /settings).
CREATE TABLE "RemoteImageSender" (
    "accountId" TEXT NOT NULL,
    "address" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,

    PRIMARY KEY ("accountId", "address"),
    CONSTRAINT "RemoteImageSender_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

