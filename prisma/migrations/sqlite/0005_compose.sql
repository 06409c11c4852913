-- Webmail writing: undo-send delay per account, identities with signatures, pending sends.
ALTER TABLE "Account" ADD COLUMN "undoSendSeconds" INTEGER NOT NULL DEFAULT 10;

CREATE TABLE "Identity" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "accountId" TEXT NOT NULL,
    "address" TEXT NOT NULL,
    "displayName" TEXT NOT NULL DEFAULT '',
    "signature" TEXT NOT NULL DEFAULT '',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Identity_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "Identity_accountId_address_key" ON "Identity"("accountId", "address");

CREATE TABLE "PendingSend" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "accountId" TEXT NOT NULL,
    "sendAt" DATETIME NOT NULL,
    "mailFrom" TEXT NOT NULL,
    "recipients" TEXT NOT NULL,
    "bcc" TEXT NOT NULL DEFAULT '[]',
    "raw" BLOB NOT NULL,
    "subject" TEXT NOT NULL DEFAULT '',
    "lockedUntil" DATETIME,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lastError" TEXT NOT NULL DEFAULT '',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "PendingSend_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "PendingSend_sendAt_idx" ON "PendingSend"("sendAt");
CREATE INDEX "PendingSend_accountId_idx" ON "PendingSend"("accountId");
