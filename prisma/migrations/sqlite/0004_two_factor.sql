-- Two-factor sign-in (TOTP, RFC 6238) and its recovery codes. ADD COLUMN rather than
-- Prisma's table rebuild: the rebuild would drop the store's triggers on other tables' rows.
ALTER TABLE "Account" ADD COLUMN "totpSecret" TEXT;
ALTER TABLE "Account" ADD COLUMN "totpEnabled" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "Account" ADD COLUMN "totpLastStep" INTEGER NOT NULL DEFAULT 0;

CREATE TABLE "RecoveryCode" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "accountId" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "usedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "RecoveryCode_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "RecoveryCode_accountId_idx" ON "RecoveryCode"("accountId");
