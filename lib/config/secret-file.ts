/**
 * A random key made once and kept in a file under DATA_DIR (mode 0600), for secrets the
 * installation needs but nobody has to choose: it survives restarts, and processes that
 * share DATA_DIR share it. Used for the web session key and the SRS key.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

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

export function dataDirSecret(dataDir: string, name: string): string {
  const file = path.join(dataDir, name);
  const known = cache.get(file);
  if (known) return known;
  let secret = readSecret(file);
  if (!secret) {
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
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
