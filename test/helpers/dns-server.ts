/**
 * An authoritative DNS server on loopback for tests: stands in for the internet's DNS so
 * MX, SPF, DKIM, DMARC and MTA-STS look-ups get real answers over real sockets (UDP and
 * TCP, RFC 1035 4.2), through the engine's DNS_SERVERS setting.
 *
 * Records are a mutable zone: tests add and remove them while the server runs. A name with
 * no records of any type answers NXDOMAIN; a name with other types answers NOERROR with no
 * answers (NODATA), as real servers do — SPF and DMARC evaluation depend on the difference.
 * `fail(name)` makes look-ups of a name answer SERVFAIL (a temporary DNS error).
 */
import dgram from "node:dgram";
import net from "node:net";
import * as packet from "dns-packet";

export type RecordType = "A" | "AAAA" | "MX" | "TXT" | "PTR" | "CNAME" | "SRV";

export interface ZoneRecord {
  name: string;
  type: RecordType;
  ttl?: number;
  /** A/AAAA: address; PTR/CNAME: target name; MX: { preference, exchange }; TXT: string or string[] (one record's chunks); SRV: { priority, weight, port, target }. */
  data: unknown;
}

export interface TestDnsServer {
  /** "127.0.0.1:port", ready for DNS_SERVERS. */
  address: string;
  port: number;
  add(...records: ZoneRecord[]): void;
  /** Removes every record of `name` (of `type` when given). */
  remove(name: string, type?: RecordType): void;
  /** Answers SERVFAIL for `name` until `heal(name)`. */
  fail(name: string): void;
  heal(name: string): void;
  /** Questions received, in order ("name TYPE"). */
  queries: string[];
  close(): Promise<void>;
}

const norm = (name: string) => name.toLowerCase().replace(/\.$/, "");

/** TXT data longer than 255 octets is split into character-strings (RFC 1035 3.3.14). */
function txtChunks(data: unknown): string[] {
  if (Array.isArray(data)) return data.map(String);
  const s = String(data);
  const out: string[] = [];
  for (let i = 0; i < s.length; i += 255) out.push(s.slice(i, i + 255));
  return out.length ? out : [""];
}

export async function startDnsServer(records: ZoneRecord[] = [], host = "127.0.0.1"): Promise<TestDnsServer> {
  const zone: ZoneRecord[] = [];
  const failing = new Set<string>();
  const queries: string[] = [];

  const answer = (query: Buffer): Buffer => {
    let q: packet.Packet;
    try {
      q = packet.decode(query);
    } catch {
      return Buffer.alloc(0);
    }
    const question = q.questions?.[0];
    const base = { id: q.id, type: "response" as const, flags: packet.AUTHORITATIVE_ANSWER | (q.flags ?? 0) & packet.RECURSION_DESIRED, questions: q.questions };
    if (!question) return packet.encode({ ...base, flags: (base.flags ?? 0) | 1 /* FORMERR */ });
    const name = norm(question.name);
    queries.push(`${name} ${question.type}`);
    if (failing.has(name)) return packet.encode({ ...base, flags: (base.flags ?? 0) | 2 /* SERVFAIL */ });
    const named = zone.filter((r) => norm(r.name) === name);
    if (named.length === 0) return packet.encode({ ...base, flags: (base.flags ?? 0) | 3 /* NXDOMAIN */ });
    // A CNAME answers every type (RFC 1034 3.6.2); the test zone does not chase it.
    const matching = named.filter((r) => r.type === question.type || (question.type === "ANY" as string) || r.type === "CNAME");
    const answers = matching.map((r) => {
      const common = { name: question.name, ttl: r.ttl ?? 60, class: "IN" as const };
      if (r.type === "TXT") return { ...common, type: "TXT" as const, data: txtChunks(r.data) };
      return { ...common, type: r.type, data: r.data } as packet.Answer;
    });
    return packet.encode({ ...base, answers });
  };

  // UDP and TCP on one port (TCP for truncated answers such as long TXT records, RFC 7766);
  // a port free for UDP may be taken for TCP, so a few ports are tried.
  const sockets = new Set<net.Socket>();
  let udp!: dgram.Socket;
  let tcp!: net.Server;
  let port = 0;
  for (let attempt = 0; ; attempt++) {
    udp = dgram.createSocket(host.includes(":") ? "udp6" : "udp4");
    udp.on("message", (msg, rinfo) => {
      const reply = answer(msg);
      if (reply.length) udp.send(reply, rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve, reject) => {
      udp.once("error", reject);
      udp.bind(0, host, () => resolve());
    });
    port = udp.address().port;
    tcp = net.createServer((socket) => serveTcp(socket));
    const ok = await new Promise<boolean>((resolve) => {
      tcp.once("error", () => resolve(false));
      tcp.listen(port, host, () => resolve(true));
    });
    if (ok) break;
    udp.close();
    if (attempt >= 9) throw new Error(`dns-server: no port free for both UDP and TCP on ${host}`);
  }

  function serveTcp(socket: net.Socket) {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    let buf = Buffer.alloc(0);
    socket.on("data", (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) break;
        const reply = answer(buf.subarray(2, 2 + len));
        buf = buf.subarray(2 + len);
        if (!reply.length) return socket.destroy();
        const head = Buffer.alloc(2);
        head.writeUInt16BE(reply.length);
        socket.write(Buffer.concat([head, reply]));
      }
    });
  }

  const server: TestDnsServer = {
    address: host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`,
    port,
    add: (...rs) => void zone.push(...rs),
    remove(name, type) {
      for (let i = zone.length - 1; i >= 0; i--) if (norm(zone[i].name) === norm(name) && (!type || zone[i].type === type)) zone.splice(i, 1);
    },
    fail: (name) => void failing.add(norm(name)),
    heal: (name) => void failing.delete(norm(name)),
    queries,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        udp.close();
        tcp.close(() => resolve());
      }),
  };
  server.add(...records);
  return server;
}
