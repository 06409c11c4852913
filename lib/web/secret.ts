/**
 * The key that signs and encrypts the web session cookies (next-auth's JWT). From
 * NEXTAUTH_SECRET when set; otherwise a random key made once and kept in
 * DATA_DIR/web-secret (mode 0600), so `npm start` works with no configuration and
 * sessions survive restarts. Several web servers must share it: set NEXTAUTH_SECRET,
 * or give them the same DATA_DIR.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Config } from "../config";

export const SECRET_FILE = "web-secret";
const MIN_LENGTH = 32;

const cache = new Map<string, string>();

function readSecret(file: string): string | null {
  try {
    const st = fs.statSync(file);
    if ((st.mode & 0o077) !== 0) fs.chmodSync(file, 0o600); // never readable by others
    const value = fs.readFileSync(file, "utf8").trim();
    return value.length >= MIN_LENGTH ? value : null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

export function webSecret(config: Pick<Config, "dataDir">, env: Record<string, string | undefined> = process.env): string {
  if (env.NEXTAUTH_SECRET) return env.NEXTAUTH_SECRET;
  const file = path.join(config.dataDir, SECRET_FILE);
  const known = cache.get(file);
  if (known) return known;
  let secret = readSecret(file);
  if (!secret) {
    fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    const fresh = crypto.randomBytes(48).toString("base64url");
    const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString("hex")}`;
    fs.writeFileSync(tmp, fresh + "\n", { mode: 0o600, flag: "wx" });
    try {
      // link() fails when another process got there first: everyone then uses its key.
      fs.linkSync(tmp, file);
      secret = fresh;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      secret = readSecret(file);
      if (!secret) throw new Error(`${file} exists but holds no usable key (at least ${MIN_LENGTH} characters); delete it to make a new one`);
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }
  cache.set(file, secret);
  return secret;
}
