/** SASL PLAIN (RFC 4616) as POP3 AUTH carries it (RFC 5034), and who may use plaintext. */

export interface PlainCredentials {
  authzid: string;
  username: string;
  password: string;
}

/** Decodes "authzid NUL authcid NUL passwd"; null when the message is not valid PLAIN. */
export function decodePlain(b64: string): PlainCredentials | null {
  // RFC 5034 4: "=" is an empty initial response.
  if (b64 === "=") return null;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) return null;
  const parts = Buffer.from(b64, "base64").toString("utf8").split("\0");
  if (parts.length !== 3 || !parts[1] || !parts[2]) return null;
  return { authzid: parts[0], username: parts[1], password: parts[2] };
}

/** The client address as the lock-out keys it: IPv4-mapped IPv6 addresses as plain IPv4. */
export function clientIp(remoteAddress: string | undefined): string {
  const a = remoteAddress ?? "";
  return a.startsWith("::ffff:") && a.includes(".") ? a.slice(7) : a;
}

/**
 * RFC 2595 2.1 / RFC 8314: passwords travel only under TLS. The exception is a client on
 * this host's loopback address (127.0.0.1, ::1), e.g. a local webmail or a test; other
 * 127.x addresses count as outside clients.
 */
export function isLoopback(ip: string): boolean {
  return ip === "127.0.0.1" || ip === "::1";
}
