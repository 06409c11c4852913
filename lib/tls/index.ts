/**
 * TLS material for every listener: TLS_CERT/TLS_KEY when configured, otherwise a
 * self-signed pair generated once under DATA_DIR/tls (fine for a first start and for
 * clients told to trust it; replace it with a real certificate in production).
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import type { Config } from "../config";

export interface TlsMaterial {
  key: string;
  cert: string;
  certPath: string;
  keyPath: string;
  generated: boolean;
}

export function ensureTlsMaterial(config: Pick<Config, "tlsCert" | "tlsKey" | "dataDir" | "hostname">): TlsMaterial {
  if (config.tlsCert && config.tlsKey) {
    const read = (p: string, what: string) => {
      try {
        return fs.readFileSync(p, "utf8");
      } catch (err) {
        throw new Error(`cannot read ${what} ${p}: ${(err as Error).message}; fix the path or unset TLS_CERT/TLS_KEY to use a generated certificate`);
      }
    };
    return { cert: read(config.tlsCert, "TLS_CERT"), key: read(config.tlsKey, "TLS_KEY"), certPath: config.tlsCert, keyPath: config.tlsKey, generated: false };
  }
  const dir = path.join(config.dataDir, "tls");
  const certPath = path.join(dir, "cert.pem");
  const keyPath = path.join(dir, "key.pem");
  if (fs.existsSync(certPath) && fs.existsSync(keyPath)) {
    return { cert: fs.readFileSync(certPath, "utf8"), key: fs.readFileSync(keyPath, "utf8"), certPath, keyPath, generated: false };
  }
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const pair = crypto.generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
  // Loaded only to generate (node-forge is large), and synchronously: this function is.
  const selfsigned = createRequire(import.meta.url)("selfsigned") as typeof import("selfsigned");
  const pems = selfsigned.generate([{ name: "commonName", value: config.hostname }], {
    keyPair: { privateKey: pair.privateKey, publicKey: pair.publicKey },
    days: 825,
    algorithm: "sha256",
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
      { name: "extKeyUsage", serverAuth: true },
      { name: "subjectAltName", altNames: [{ type: 2, value: config.hostname }, { type: 2, value: "localhost" }, { type: 7, ip: "127.0.0.1" }] },
    ],
  } as never);
  // Write key then cert; a crash between leaves no cert, so the next start regenerates both.
  fs.writeFileSync(keyPath, pems.private, { mode: 0o600 });
  fs.writeFileSync(certPath, pems.cert, { mode: 0o644 });
  return { cert: pems.cert, key: pems.private, certPath, keyPath, generated: true };
}
