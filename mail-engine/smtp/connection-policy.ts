/**
 * Who may hold how many SMTP connections, and who must wait for the greeting.
 *
 * One policy per listener (Postfix's anvil also counts per service):
 *  - at most `perClientLimit` concurrent connections per client address
 *    (smtpd_client_connection_count_limit), so one address cannot take every slot;
 *  - at most `ratePerMinute` new connections per client address in a one-minute
 *    window (smtpd_client_connection_rate_limit, anvil_rate_time_unit = 60 s);
 *  - a greeting pause (postscreen's greet wait): a client that sends anything before
 *    the 220 greeting is refused; one that waited is remembered for `greetPassTtlMs`
 *    (postscreen_greet_ttl) and greeted at once next time.
 * The host's own addresses and TRUSTED_NETWORKS are exempt from all of it.
 * State is in memory: a restart forgets counts and passers, which only costs a pause.
 */
import net from "node:net";
import os from "node:os";
import { addressList } from "../../lib/domain/networks";

export interface PolicySettings {
  /** CIDRs (or bare addresses) exempt from the policy, besides the host's own addresses. */
  trustedNetworks: string[];
  perClientLimit: number;
  /** 0 = no rate limit. */
  ratePerMinute: number;
  /** 0 = greet at once (and no early-talker check). */
  greetPauseMs: number;
  greetPassTtlMs: number;
  commandDeadlineMs: number;
  dataDeadlineMs: number;
}

export type Admission =
  | { ok: true; pauseMs: number; exempt: boolean; release(): void }
  | { ok: false; reason: "concurrency" | "rate"; text: string };

const RATE_WINDOW_MS = 60_000;
/** Bounds the memory of the pass cache and the rate table against address sweeps. */
const MAX_TRACKED = 100_000;

/** IPv4-mapped IPv6 (::ffff:192.0.2.1) is the IPv4 address for every rule here. */
export function plainAddress(ip: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return m ? m[1] : ip;
}

/** The host's own addresses: loopback and every configured interface address. */
function ownAddresses(): string[] {
  const out = new Set(["127.0.0.1", "::1"]);
  for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) out.add(a.address.replace(/%.*$/, ""));
  return [...out];
}

export class ConnectionPolicy {
  private readonly exemptList = new net.BlockList();
  /** BlockList.check builds objects on every call; senders repeat, so answers are kept. */
  private readonly exemptCache = new Map<string, boolean>();
  private readonly active = new Map<string, number>();
  private readonly rate = new Map<string, { windowStart: number; count: number }>();
  /** Address -> time it passed the greeting pause (insertion order = age, for eviction). */
  private readonly passed = new Map<string, number>();

  constructor(
    readonly settings: PolicySettings,
    private readonly now: () => number = Date.now,
  ) {
    addressList([...ownAddresses(), ...settings.trustedNetworks], this.exemptList);
  }

  isExempt(ip: string): boolean {
    const a = plainAddress(ip);
    const known = this.exemptCache.get(a);
    if (known !== undefined) return known;
    const type = net.isIPv6(a) ? "ipv6" : net.isIPv4(a) ? "ipv4" : null;
    const exempt = type !== null && this.exemptList.check(a, type);
    if (this.exemptCache.size >= MAX_TRACKED) this.exemptCache.clear();
    this.exemptCache.set(a, exempt);
    return exempt;
  }

  /** Called once per new connection; an admitted connection must call release() when it closes. */
  admit(ip: string): Admission {
    const a = plainAddress(ip);
    if (this.isExempt(a)) return { ok: true, pauseMs: 0, exempt: true, release: () => {} };
    const { perClientLimit, ratePerMinute } = this.settings;
    const active = this.active.get(a) ?? 0;
    if (active >= perClientLimit) {
      return { ok: false, reason: "concurrency", text: `Too many connections from ${a} (limit ${perClientLimit} at a time); try again later` };
    }
    if (ratePerMinute > 0) {
      const t = this.now();
      let r = this.rate.get(a);
      if (!r || t - r.windowStart >= RATE_WINDOW_MS) {
        if (!r && this.rate.size >= MAX_TRACKED) this.sweepRate(t);
        r = { windowStart: t, count: 0 };
        this.rate.set(a, r);
      }
      if (r.count >= ratePerMinute) {
        return { ok: false, reason: "rate", text: `Too many connections from ${a} (limit ${ratePerMinute} a minute); try again later` };
      }
      r.count++;
    }
    this.active.set(a, active + 1);
    let released = false;
    return {
      ok: true,
      exempt: false,
      pauseMs: this.hasPassed(a) ? 0 : this.settings.greetPauseMs,
      release: () => {
        if (released) return;
        released = true;
        const n = (this.active.get(a) ?? 1) - 1;
        if (n <= 0) this.active.delete(a);
        else this.active.set(a, n);
      },
    };
  }

  /** The client waited for the greeting: skip its pause until the TTL runs out. */
  recordPass(ip: string): void {
    const a = plainAddress(ip);
    this.passed.delete(a);
    if (this.passed.size >= MAX_TRACKED) this.passed.delete(this.passed.keys().next().value!);
    this.passed.set(a, this.now());
  }

  /** Connections the address holds now (for logs and tests). */
  activeCount(ip: string): number {
    return this.active.get(plainAddress(ip)) ?? 0;
  }

  private hasPassed(a: string): boolean {
    const at = this.passed.get(a);
    if (at === undefined) return false;
    if (this.now() - at < this.settings.greetPassTtlMs) return true;
    this.passed.delete(a);
    return false;
  }

  private sweepRate(t: number): void {
    for (const [k, r] of this.rate) if (t - r.windowStart >= RATE_WINDOW_MS) this.rate.delete(k);
  }
}
