-- Webmail writing: undo-send delay per account, identities with signatures, pending sends.
ALTER TABLE "Account" ADD COLUMN "undoSendSeconds" INTEGER NOT NULL DEFAULT 10;

CREATE TABLE "Identity" (
    "id" TEXT NOT NULL,
    "accountId" TEXT NOT NULL,
    "address" TEXT NOT NULL,
    "displayName" TEXT NOT NULL DEFAULT '',
    "signature" TEXT NOT NULL DEFAULT '',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Identity_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "Identity_accountId_address_key" ON "Identity"("accountId", "address");
ALTER TABLE "Identity" ADD CONSTRAINT "Identity_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "PendingSend" (
    "id" TEXT NOT NULL,
    "accountId" TEXT NOT NULL,
    "sendAt" TIMESTAMP(3) NOT NULL,
    "mailFrom" TEXT NOT NULL,
    "recipients" TEXT NOT NULL,
    "bcc" TEXT NOT NULL DEFAULT '[]',
    "raw" BYTEA NOT NULL,
    "subject" TEXT NOT NULL DEFAULT '',
    "lockedUntil" TIMESTAMP(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lastError" TEXT NOT NULL DEFAULT '',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "PendingSend_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "PendingSend_sendAt_idx" ON "PendingSend"("sendAt");
CREATE INDEX "PendingSend_accountId_idx" ON "PendingSend"("accountId");
ALTER TABLE "PendingSend" ADD CONSTRAINT "PendingSend_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE ON UPDATE CASCADE;
