/**
 * The key that signs and encrypts the web session cookies (next-auth's JWT). From
 * NEXTAUTH_SECRET when set; otherwise a random key made once and kept in
 * DATA_DIR/web-secret (mode 0600), so `npm start` works with no configuration and
 * sessions survive restarts. Several web servers must share it: set NEXTAUTH_SECRET,
 * or give them the same DATA_DIR.
 */
import type { Config } from "../config";
import { dataDirSecret } from "../config/secret-file";

export const SECRET_FILE = "web-secret";

export function webSecret(config: Pick<Config, "dataDir">, env: Record<string, string | undefined> = process.env): string {
  if (env.NEXTAUTH_SECRET) return env.NEXTAUTH_SECRET;
  return dataDirSecret(config.dataDir, SECRET_FILE);
}
