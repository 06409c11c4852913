/**
 * The outbound queue worker the engine runs. It claims due recipients (lib/store/ops/
 * queue.ts), groups them by destination domain and runs up to
 * OUTBOUND_DESTINATION_CONCURRENCY connections ("lanes") per destination and
 * OUTBOUND_CONCURRENCY overall; a lane keeps its connection for every message of its
 * destination that is waiting, one transaction per message with all its recipients there.
 * A delivery this process queued starts at once (the store's "queued" event); mail queued
 * by other processes and retries that come due are found by a poll every QUEUE_POLL_MS.
 */
import crypto from "node:crypto";
import type { Resolver } from "node:dns/promises";
import type { EngineContext } from "../context";
import { signOutbound } from "../../lib/dkim/sign";
import type { ClaimedMessage, ClaimedRecipient } from "../../lib/store/ops/queue";
import { connectDestination, type ConnectDeps } from "./connect";
import { dnsResolver } from "./mx";
import { MtaStsPolicies } from "./mta-sts";
import { QueueBlobReader } from "./blob-reader";
import { Outcomes, type Outcome } from "./outcome";
import { prepareOutgoing, refusalFor } from "./prepare";
import { ConnectionFailure, type OutboundSession } from "./session";

interface Job {
  message: ClaimedMessage;
  recipients: ClaimedRecipient[];
}

interface Destination {
  domain: string;
  pending: Job[];
  lanes: number;
  /** Lanes with an open connection waiting for work: called when a job arrives. */
  waiting: Array<() => void>;
}

/**
 * Recipients held per connection slot at most; claiming pauses above it, so engines
 * sharing a database share the work instead of one taking all that is due.
 */
const IN_FLIGHT_PER_SLOT = 10;
const CLAIM_BATCH = 500;
/** A lane with nothing to send keeps its connection this long for mail that may follow. */
const LANE_IDLE_MS = 2000;

export class QueueWorker {
  readonly id = `${process.pid}-${crypto.randomBytes(4).toString("hex")}`;
  private readonly resolver: Resolver;
  private readonly deps: ConnectDeps;
  private readonly outcomes: Outcomes;
  private readonly reader: QueueBlobReader;
  private readonly destinations = new Map<string, Destination>();
  private lanes = 0;
  private inFlight = 0;
  private timer: NodeJS.Timeout | null = null;
  private claiming = false;
  private again = false;
  private stopped = false;
  private readonly running = new Set<Promise<void>>();
  private readonly onQueued = () => this.wake();
  private readonly maxInFlight: number;
  /** The last claim stopped for want of room, not for want of due mail. */
  private backlog = false;

  constructor(private readonly ctx: EngineContext) {
    this.resolver = dnsResolver(ctx.config.dnsServers);
    this.deps = { config: ctx.config, resolver: this.resolver, sts: ctx.config.relay ? null : new MtaStsPolicies(this.resolver) };
    this.reader = new QueueBlobReader(ctx.config, ctx.blobs);
    this.outcomes = new Outcomes(ctx, this.id, this.reader);
    this.maxInFlight = ctx.config.outboundConcurrency * IN_FLIGHT_PER_SLOT;
  }

  start(): void {
    this.ctx.store.events.on("queued", this.onQueued);
    this.timer = setInterval(() => this.wake(), this.ctx.config.queuePollMs);
    this.timer.unref();
    this.wake();
  }

  /** Stops claiming and waits for the deliveries under way (their results are recorded). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.ctx.store.events.off("queued", this.onQueued);
    for (const d of this.destinations.values()) for (const w of [...d.waiting]) w();
    if (this.timer) clearInterval(this.timer);
    // Claimed but not started: handed back, due at once for whoever runs next.
    const unstarted = [...this.destinations.values()].flatMap((d) => d.pending.splice(0)).flatMap((j) => j.recipients.map((r) => r.id));
    this.inFlight -= unstarted.length;
    while (this.running.size) await Promise.allSettled([...this.running]);
    if (unstarted.length) await this.ctx.store.run("releaseQueued", { worker: this.id, recipientIds: unstarted }).catch((err) => this.ctx.log.warn("queue.release_failed", { error: err, hint: "due again when their lease runs out" }));
    this.reader.close();
  }

  private wake(): void {
    if (this.stopped) return;
    if (this.claiming) {
      this.again = true;
      return;
    }
    this.claiming = true;
    void this.claim()
      .catch((err) => this.ctx.log.error("queue.claim_failed", { error: err }))
      .finally(() => {
        this.claiming = false;
        if (this.again && !this.stopped) {
          this.again = false;
          this.wake();
        }
      });
  }

  private async claim(): Promise<void> {
    this.backlog = false;
    while (!this.stopped) {
      if (this.inFlight >= this.maxInFlight) {
        this.backlog = true;
        return;
      }
      const limit = Math.min(CLAIM_BATCH, this.maxInFlight - this.inFlight);
      const claim = await this.ctx.store.run("claimQueue", { worker: this.id, now: new Date(), leaseMs: this.ctx.config.queueLeaseMs, limit });
      if (!claim.recipients.length) return;
      const messages = new Map(claim.messages.map((m) => [m.id, m]));
      const jobs = new Map<string, Job>();
      for (const r of claim.recipients) {
        const message = messages.get(r.queueId);
        if (!message) continue; // deleted meanwhile (mailctl queue delete): its recipients went with it
        this.inFlight++;
        // A DSN owed from before (another worker's lapsed lease, a crash, mailctl queue bounce).
        if (r.status === "bounce" || r.status === "relayed") {
          const settle = r.status === "bounce" ? this.outcomes.bounce(message, [{ recipient: r, reply: r.lastReply }]) : this.outcomes.relayed(message, [{ recipient: r, reply: r.lastReply }]);
          this.track(settle.finally(() => this.inFlight--));
          continue;
        }
        // One transaction per message and destination; through a smart host, one per message.
        const key = this.ctx.config.relay ? r.queueId : `${r.queueId}\n${r.domain}`;
        let job = jobs.get(key);
        if (!job) jobs.set(key, (job = { message, recipients: [] }));
        job.recipients.push(r);
      }
      for (const job of jobs.values()) {
        // With a smart host every message goes the same way: one destination.
        const domain = this.ctx.config.relay ? "" : job.recipients[0].domain;
        let d = this.destinations.get(domain);
        if (!d) this.destinations.set(domain, (d = { domain, pending: [], lanes: 0, waiting: [] }));
        d.pending.push(job);
        d.waiting.shift()?.();
      }
      this.spawnLanes();
      if (claim.recipients.length < limit) return;
    }
  }

  private track(p: Promise<void>): void {
    const t = p.catch((err) => this.ctx.log.error("queue.worker_error", { error: err })).finally(() => this.running.delete(t));
    this.running.add(t);
  }

  private spawnLanes(): void {
    const { outboundConcurrency, outboundDestinationConcurrency } = this.ctx.config;
    for (const d of this.destinations.values()) {
      while (d.pending.length > d.lanes && d.lanes < outboundDestinationConcurrency && this.lanes < outboundConcurrency) {
        d.lanes++;
        this.lanes++;
        this.track(this.lane(d).finally(() => {
          d.lanes--;
          this.lanes--;
          if (!d.lanes && !d.pending.length) this.destinations.delete(d.domain);
          this.spawnLanes();
          this.wake();
        }));
      }
    }
  }

  /** One connection's life: sends the destination's waiting messages until none is left for a while. */
  private async lane(d: Destination): Promise<void> {
    let session: OutboundSession | null = null;
    let host = "";
    try {
      for (;;) {
        let job = d.pending.shift();
        if (!job) {
          if (!session || this.stopped) return;
          await this.idle(d);
          job = d.pending.shift();
          if (!job) return;
        }
        try {
          if (!session?.usable) {
            session?.close();
            session = null;
            const c = await connectDestination(this.deps, d.domain || job.recipients[0].domain);
            if (c.kind !== "session") {
              // The whole destination is unreachable now: every waiting message gets the same answer.
              const all = [job, ...d.pending.splice(0)];
              const code = c.kind === "permanent" ? 550 : 450;
              for (const j of all) await this.finish(j, j.recipients.map((r) => ({ recipient: r, code, reply: c.reason, attempted: c.kind === "temporary", remoteHost: "host" in c ? c.host : undefined })));
              continue;
            }
            session = c.session;
            host = c.host;
            if (session.plaintextReason) this.ctx.log.warn("queue.tls_fallback", { host, reason: session.plaintextReason });
          }
          await this.send(job, session, host);
        } catch (err) {
          if (!(err instanceof ConnectionFailure)) throw err;
          session?.close();
          session = null;
          await this.finish(job, job.recipients.map((r) => ({ recipient: r, code: 0, reply: `4.4.2 connection to ${host} lost: ${err.message}`, attempted: true, remoteHost: host })));
        }
      }
    } finally {
      session?.close();
    }
  }

  /** Waits up to LANE_IDLE_MS for a job for this destination (or the worker stopping). */
  private idle(d: Destination): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        const i = d.waiting.indexOf(done);
        if (i >= 0) d.waiting.splice(i, 1);
        resolve();
      };
      const timer = setTimeout(done, LANE_IDLE_MS);
      d.waiting.push(done);
    });
  }

  private async send(job: Job, session: OutboundSession, host: string): Promise<void> {
    const { message: m } = job;
    const stored = (await this.reader.get(m.blobHash)).subarray(m.bodyOffset);
    const prepared = await prepareOutgoing(stored);
    const to = job.recipients.map((r) => r.address);
    const tls = session.tlsState;
    const refusal = "error" in prepared ? prepared.error : refusalFor(prepared, session.extensions, /[^\x00-\x7f]/.test(m.mailFrom + to.join("")));
    if (refusal || "error" in prepared) {
      await this.finish(job, job.recipients.map((r) => ({ recipient: r, code: 554, reply: refusal!, attempted: false, remoteHost: host, tls })));
      return;
    }
    if (prepared.reencoded) this.ctx.log.info("queue.reencoded", { msgId: m.id, parts: prepared.reencoded, reason: "lines over 998 octets" });
    const bytes = await signOutbound(this.ctx.db, prepared.bytes);
    this.ctx.log.info("queue.sending", { msgId: m.id, to, host, tls: tls || undefined, size: bytes.length });
    const replies = await session.send(
      {
        from: m.mailFrom,
        to,
        use8BitMime: prepared.eightBit,
        // RFC 3461 6.2: the parameters go on to a next hop that offers DSN (session.ts leaves them out otherwise).
        dsn: { ret: m.ret, envid: m.envId, recipients: new Map(job.recipients.map((r) => [r.address, { notify: r.notify, orcpt: r.orcpt }])) },
      },
      bytes,
    );
    const byAddress = new Map(replies.map((r) => [r.address, r]));
    const nextHopDsn = session.extensions.includes("DSN");
    // Recorded while the lane goes on with its next message: the commit's fsync need not hold the connection.
    this.track(this.finish(job, job.recipients.map((r) => {
      const rep = byAddress.get(r.address);
      return { recipient: r, code: rep?.code ?? 451, reply: rep?.reply ?? "4.4.0 no reply for this recipient", attempted: true, remoteHost: host, tls, nextHopDsn };
    })));
    // The next message must not inherit this transaction's state; a failed RSET closes the connection.
    if (replies.some((r) => r.code >= 300)) await session.reset().catch(() => session.close());
  }

  private async finish(job: Job, outcomes: Outcome[]): Promise<void> {
    try {
      await this.outcomes.record(job.message, outcomes);
    } finally {
      this.inFlight -= job.recipients.length;
      // Due work was left behind for want of room: claim it before the lanes run dry.
      if (this.backlog && this.inFlight <= this.maxInFlight / 2) this.wake();
    }
  }
}
