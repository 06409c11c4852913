/** Loopback port helpers: a free port, and waiting until an SMTP server greets. */
import net from "node:net";

/** A TCP port on 127.0.0.1 that was free a moment ago (bind to 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves with the greeting once something on host:port answers with a 220 line. */
function greeting(port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ port, host });
    let buf = "";
    const done = (err: Error | null, line?: string) => {
      sock.removeAllListeners();
      sock.on("error", () => {});
      sock.destroy();
      if (err) reject(err);
      else resolve(line!);
    };
    sock.setTimeout(5000, () => done(new Error("no greeting within 5 s")));
    sock.on("error", (err) => done(err));
    sock.on("data", (d) => {
      buf += d.toString("latin1");
      const nl = buf.indexOf("\n");
      if (nl === -1) return;
      const line = buf.slice(0, nl).trimEnd();
      if (line.startsWith("220 ") || line.startsWith("220-")) {
        sock.write("QUIT\r\n");
        done(null, line);
      } else done(new Error(`unexpected greeting: ${line}`));
    });
    sock.on("close", () => done(new Error("connection closed before a greeting")));
  });
}

/**
 * Polls until an SMTP greeting arrives. `alive` is checked between attempts so a
 * server that died during start-up fails fast with its own message.
 */
export async function waitForSmtp(port: number, opts: { host?: string; timeoutMs?: number; alive?: () => string | null } = {}): Promise<string> {
  const host = opts.host ?? "127.0.0.1";
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let last: unknown;
  for (;;) {
    const dead = opts.alive?.();
    if (dead) throw new Error(dead);
    try {
      return await greeting(port, host);
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`nothing answered SMTP on ${host}:${port} within ${opts.timeoutMs ?? 60_000} ms: ${(last as Error)?.message}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
