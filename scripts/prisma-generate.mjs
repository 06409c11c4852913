// postinstall: generates both Prisma clients (SQLite and PostgreSQL) with no download
// (engine "js" in prisma.config.ts, engineType "client"; see ../shared/design/PRISMA-OFFLINE.md).
import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const prisma = path.join(root, "node_modules/prisma/build/index.js");
for (const provider of ["sqlite", "postgresql"]) {
  execFileSync(process.execPath, [prisma, "generate"], {
    cwd: root,
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, PRISMA_PROVIDER: provider, PRISMA_HIDE_UPDATE_MESSAGE: "1", CHECKPOINT_DISABLE: "1" },
  });
}
