/**
 * The web app's server: Next.js (the built app, as `next start` would serve it) behind a
 * plain node:http server that tells the app each request's socket address. `next start`
 * does not: it passes a client-sent X-Forwarded-For through unchanged, so the sign-in
 * throttle could not tell a forged address from a real one (lib/web/client-ip.ts).
 *
 * Every request gets the socket's address in an internal header whose name is random
 * per process and published to the app in MAILSUITE_PEER_HEADER; any copy a client sent
 * is deleted first. Plain JavaScript, so it runs with `node` alone, without tsx in the
 * way of Next's own module loading.
 *
 * Usage: node scripts/web-server.mjs [-p PORT] [-H HOST]   (defaults: 3000, 0.0.0.0)
 */
import crypto from "node:crypto";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";

const PEER_HEADER_PREFIX = "x-mailsuite-peer";

function arg(flags, fallback) {
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) if (flags.includes(argv[i]) && i + 1 < argv.length) return argv[i + 1];
  return fallback;
}

const port = Number(arg(["-p", "--port"], process.env.PORT || "3000"));
const hostname = arg(["-H", "--hostname"], "0.0.0.0");
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`web-server: -p ${port} is not a port number\n`);
  process.exit(2);
}

// Set before Next loads: the app reads it per request (lib/web/client-ip.ts).
const peerHeader = `${PEER_HEADER_PREFIX}-${crypto.randomBytes(8).toString("hex")}`;
process.env.MAILSUITE_PEER_HEADER = peerHeader;
process.env.NODE_ENV = "production";

const { default: next } = await import("next");
const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const app = next({ dev: false, dir, hostname, port });
const handle = app.getRequestHandler();
await app.prepare();

/** Removes every client-sent header whose name starts with the internal prefix, then stamps the socket's address. */
function stampPeer(req) {
  for (const name of Object.keys(req.headers)) if (name.startsWith(PEER_HEADER_PREFIX)) delete req.headers[name];
  const raw = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (!req.rawHeaders[i].toLowerCase().startsWith(PEER_HEADER_PREFIX)) raw.push(req.rawHeaders[i], req.rawHeaders[i + 1]);
  }
  req.rawHeaders.length = 0;
  req.rawHeaders.push(...raw);
  const peer = req.socket.remoteAddress ?? "";
  req.headers[peerHeader] = peer;
  req.rawHeaders.push(peerHeader, peer);
}

const server = http.createServer((req, res) => {
  stampPeer(req);
  handle(req, res).catch((err) => {
    process.stderr.write(JSON.stringify({ ts: new Date().toISOString(), level: "error", proc: "web", event: "web.request_failed", error: String(err?.stack ?? err) }) + "\n");
    if (!res.headersSent) res.statusCode = 500;
    res.end();
  });
});
// As `next start`: idle keep-alive connections outlive a typical proxy's 60 s.
server.keepAliveTimeout = 65_000;
server.listen(port, hostname, () => {
  process.stdout.write(JSON.stringify({ ts: new Date().toISOString(), level: "info", proc: "web", event: "web.listening", host: hostname, port: server.address().port }) + "\n");
});

let closing = false;
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    if (closing) return;
    closing = true;
    server.close(() => process.exit(0));
    server.closeIdleConnections?.();
    setTimeout(() => process.exit(0), 10_000).unref();
  });
}
