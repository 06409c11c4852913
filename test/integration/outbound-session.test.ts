/**
 * The outbound SMTP connection turns Nagle's algorithm off (TCP_NODELAY). nodemailer's
 * client writes a message's end of data ("." line) apart from its body: with Nagle on,
 * that last write waited for the server to acknowledge the body, and a Linux server
 * delays that ACK by 40 ms, so every message on a connection cost at least 40 ms.
 * Checked on the TCP handle itself (after STARTTLS too, where the TLS socket passes the
 * option down), not by timing, which a loaded machine would make flaky.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { SMTPServer } from "smtp-server";
import { OutboundSession } from "../../mail-engine/queue/session";

interface TcpHandle {
  setNoDelay(enable: boolean): number;
  getsockname(out: { port?: number }): number;
}

test("an outbound session sets TCP_NODELAY on its connection, with STARTTLS, and delivers over it", async () => {
  const got: string[] = [];
  const server = new SMTPServer({
    authOptional: true,
    logger: false,
    onData(stream, _s, cb) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        got.push(Buffer.concat(chunks).toString());
        cb(null, "2.0.0 taken");
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.server.address() as net.AddressInfo).port;
  // The TCP handle's prototype is shared by every socket: record who turns Nagle off.
  const probe = net.connect(port, "127.0.0.1");
  await new Promise<void>((r) => probe.once("connect", () => r()));
  const proto = Object.getPrototypeOf((probe as unknown as { _handle: TcpHandle })._handle) as TcpHandle;
  probe.destroy();
  const original = proto.setNoDelay;
  const noDelayPorts: number[] = [];
  proto.setNoDelay = function (this: TcpHandle, enable: boolean) {
    const name: { port?: number } = {};
    this.getsockname(name);
    if (enable && name.port !== undefined) noDelayPorts.push(name.port);
    return original.call(this, enable);
  };
  let session: OutboundSession | null = null;
  try {
    const s = await OutboundSession.open({ address: "127.0.0.1", port, hostName: "localhost" }, { ehloName: "client.test" });
    session = s;
    assert.match(s.tlsState, /^TLSv1\.[23] unverified/, "the session went through STARTTLS");
    const local = (s as unknown as { conn: { _socket: net.Socket } }).conn._socket.localPort;
    assert.ok(local && local !== port);
    assert.ok(noDelayPorts.includes(local), `TCP_NODELAY set on the client's own connection (local port ${local}; set on ${noDelayPorts.join(", ") || "none"})`);
    for (let i = 0; i < 3; i++) {
      const replies = await s.send({ from: "a@a.test", to: ["b@b.test"] }, Buffer.from(`Subject: m${i}\r\n\r\n${"body line\r\n".repeat(200)}`));
      assert.deepEqual(replies.map((r) => r.code), [250]);
    }
    assert.equal(got.length, 3);
    assert.match(got[2], /^Subject: m2\r\n/);
  } finally {
    proto.setNoDelay = original;
    session?.close();
    await new Promise<void>((r) => server.close(() => r()));
  }
});
