/**
 * The IMAP listeners: IMAP_PORT (plain, STARTTLS offered: RFC 3501 6.2.1) and
 * IMAPS_PORT (implicit TLS, RFC 8314). A port set to 0 disables its listener.
 */
import net from "node:net";
import tls from "node:tls";
import crypto from "node:crypto";
import type { EngineContext } from "../context";
import type { ChangeFeed } from "../../lib/store/change-feed";
import { Session } from "./session";

export type ImapListenerKind = "imap" | "imaps";

export const IMAP_PORT_VARIABLE: Record<ImapListenerKind, string> = { imap: "IMAP_PORT", imaps: "IMAPS_PORT" };

/** Connections per listener; beyond this new ones are told BYE. */
const MAX_CONNECTIONS = 5000;

export interface ImapListeners {
  ports: Partial<Record<ImapListenerKind, number>>;
  sessions: Set<Session>;
  close(): Promise<void>;
}

export function imapListenErrorHint(kind: ImapListenerKind, port: number, code: string | undefined): string {
  const variable = IMAP_PORT_VARIABLE[kind];
  if (code === "EADDRINUSE") return `another program uses port ${port}; stop it, or set ${variable} to a free port (0 disables the listener)`;
  if (code === "EACCES") return `ports below 1024 need root or CAP_NET_BIND_SERVICE; as a normal user, use unprivileged ports: IMAP_PORT=2143 IMAPS_PORT=2993`;
  return `check ${variable} and BIND_ADDRESS`;
}

export async function startImap(ctx: EngineContext, feed: ChangeFeed, opts: { randomPorts?: boolean } = {}): Promise<ImapListeners> {
  const { config } = ctx;
  const secureContext = tls.createSecureContext({ key: ctx.tls.key, cert: ctx.tls.cert, minVersion: "TLSv1.2" });
  const sessions = new Set<Session>();
  const servers: net.Server[] = [];
  const ports: ImapListeners["ports"] = {};
  const log = ctx.log.child({ listener: "imap" });

  const accept = (socket: net.Socket, secure: boolean) => {
    const cid = crypto.randomBytes(6).toString("hex");
    socket.setNoDelay(true);
    if (sessions.size >= MAX_CONNECTIONS) {
      socket.end("* BYE too many connections; try again later\r\n");
      return;
    }
    const session = new Session({
      ctx,
      feed,
      socket,
      secure,
      cid,
      log,
      upgrade: secure ? undefined : (raw) => {
        const t = new tls.TLSSocket(raw, { isServer: true, secureContext });
        t.on("error", () => t.destroy());
        return t;
      },
    });
    sessions.add(session);
    socket.once("close", () => sessions.delete(session));
    log.debug("imap.connect", { cid, ip: session.ip, secure });
    session.start();
  };

  const wanted: Array<[ImapListenerKind, number]> = [
    ["imap", config.imapPort],
    ["imaps", config.imapsPort],
  ];
  try {
    for (const [kind, port] of wanted) {
      if (port === 0) continue;
      const server =
        kind === "imaps"
          ? tls.createServer({ key: ctx.tls.key, cert: ctx.tls.cert, minVersion: "TLSv1.2" }, (s) => accept(s, true))
          : net.createServer((s) => accept(s, false));
      if (kind === "imaps") server.on("tlsClientError", () => undefined);
      servers.push(server);
      ports[kind] = await listen(server, opts.randomPorts ? 0 : port, config.bindAddress, kind);
      log.info("imap.listening", { listener: kind, address: config.bindAddress, port: ports[kind] });
    }
  } catch (err) {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    throw err;
  }
  return {
    ports,
    sessions,
    async close() {
      const closing = servers.map((s) => new Promise<void>((r) => s.close(() => r())));
      for (const s of sessions) {
        void s.untagged("BYE server shutting down");
        s.end();
      }
      await Promise.all(closing);
    },
  };
}

function listen(server: net.Server, port: number, host: string, kind: ImapListenerKind): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(new Error(`cannot listen on ${host}:${port} for ${kind} (${IMAP_PORT_VARIABLE[kind]}): ${err.message} (${imapListenErrorHint(kind, port, err.code)})`));
    };
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}
