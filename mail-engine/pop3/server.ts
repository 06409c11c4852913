/**
 * The POP3 listeners: POP3_PORT (RFC 1939, STLS per RFC 2595 before any password) and
 * POP3S_PORT (implicit TLS, RFC 8314). Both use the SMTP listeners' TLS material, TLS 1.2+.
 */
import net from "node:net";
import tls from "node:tls";
import type { EngineContext } from "../context";
import { Pop3Session, DEFAULT_LIMITS, type SessionLimits } from "./session";

export type Pop3Kind = "pop3" | "pop3s";

export interface Pop3Listeners {
  ports: Partial<Record<Pop3Kind, number>>;
  close(): Promise<void>;
}

export interface Pop3Options {
  /** Bind every enabled listener to a free port chosen by the system (tests). */
  randomPorts?: boolean;
  limits?: Partial<SessionLimits>;
}

const PORT_VARIABLE: Record<Pop3Kind, string> = { pop3: "POP3_PORT", pop3s: "POP3S_PORT" };
/** Connections the listeners hold at once; more wait in the kernel's backlog. */
const MAX_CONNECTIONS = 1000;

export async function startPop3(ctx: EngineContext, opts: Pop3Options = {}): Promise<Pop3Listeners> {
  const { config } = ctx;
  const wanted: Array<[Pop3Kind, number]> = [
    ["pop3", config.pop3Port],
    ["pop3s", config.pop3sPort],
  ];
  const servers: Pop3Server[] = [];
  const ports: Pop3Listeners["ports"] = {};
  const closeAll = () => Promise.all(servers.map((s) => s.close())).then(() => undefined);
  try {
    for (const [kind, port] of wanted) {
      if (port === 0) continue;
      const server = createPop3Server(ctx, kind, opts.limits);
      servers.push(server);
      ports[kind] = await server.listen(opts.randomPorts ? 0 : port, config.bindAddress);
      ctx.log.info("pop3.listening", { listener: kind, address: config.bindAddress, port: ports[kind] });
    }
  } catch (err) {
    await closeAll();
    throw err;
  }
  return { ports, close: closeAll };
}

export interface Pop3Server {
  listen(port: number, host: string): Promise<number>;
  /** Stops listening and ends open sessions without their UPDATE state (nothing is deleted). */
  close(): Promise<void>;
}

export function createPop3Server(ctx: EngineContext, kind: Pop3Kind, limits: Partial<SessionLimits> = {}): Pop3Server {
  const log = ctx.log.child({ listener: kind });
  const tlsOptions = { key: ctx.tls.key, cert: ctx.tls.cert, minVersion: "TLSv1.2" as const };
  const secureContext = tls.createSecureContext(tlsOptions);
  const sessions = new Set<Pop3Session>();
  const sessionOpts = {
    implicitTls: kind === "pop3s",
    limits: { ...DEFAULT_LIMITS, ...limits },
    secureContext,
    onClose: (s: Pop3Session) => sessions.delete(s),
  };
  const open = (socket: net.Socket) => {
    socket.on("error", () => undefined); // a reset before the session exists; the session logs its own
    const s = new Pop3Session(ctx, socket, sessionOpts, log);
    sessions.add(s);
    s.start();
  };
  const server: net.Server =
    kind === "pop3s"
      ? tls.createServer({ ...tlsOptions, handshakeTimeout: sessionOpts.limits.authTimeoutMs }, open).on("tlsClientError", (err, socket) => {
          log.debug("pop3.tls_failed", { ip: socket.remoteAddress, error: err.message });
        })
      : net.createServer(open);
  server.maxConnections = MAX_CONNECTIONS;
  server.on("error", (err) => log.warn("pop3.listener_error", { error: err }));
  return {
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        const onError = (err: NodeJS.ErrnoException) => reject(new Error(`cannot listen on ${host}:${port} for ${kind} (${PORT_VARIABLE[kind]}): ${err.message} (${listenHint(kind, port, err.code)})`));
        server.once("error", onError);
        server.listen(port, host, () => {
          server.off("error", onError);
          resolve((server.address() as net.AddressInfo).port);
        });
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of [...sessions]) s.shutdown("server shutting down");
      }),
  };
}

function listenHint(kind: Pop3Kind, port: number, code: string | undefined): string {
  const variable = PORT_VARIABLE[kind];
  if (code === "EADDRINUSE") return `another program uses port ${port}; stop it, or set ${variable} to a free port (0 disables the listener)`;
  if (code === "EACCES") return `ports below 1024 need root or CAP_NET_BIND_SERVICE; as a normal user set ${variable} to an unprivileged port (e.g. POP3_PORT=2110 POP3S_PORT=2995) or 0`;
  return `check ${variable} and BIND_ADDRESS`;
}
