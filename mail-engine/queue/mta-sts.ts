/**
 * MTA-STS (RFC 8461): a destination that publishes a policy in "enforce" mode gets mail
 * only over TLS with a certificate that verifies for an MX host the policy lists. The
 * policy is found and fetched by mailauth (the `_mta-sts` TXT record, then
 * https://mta-sts.<domain>/.well-known/mta-sts.txt) and cached for its max_age (RFC 8461
 * 5.1: a cached policy stays in force when a refresh fails).
 */
import type { Resolver } from "node:dns/promises";
import type { MTASTSPolicy } from "mailauth";

const NO_POLICY_RECHECK_MS = 5 * 60_000;

export interface StsDecision {
  /** TLS with a verified certificate is mandatory for this host. */
  requireVerifiedTls: boolean;
  /** The host is not in the enforced policy's mx list: not to be used (RFC 8461 4.1). */
  refuseHost: boolean;
}

/** mailauth's module, loaded when the queue first sends: an engine with nothing to send does without it. */
let stsModule: Promise<typeof import("mailauth/lib/mta-sts.js")> | null = null;
const sts = () => (stsModule ??= import("mailauth/lib/mta-sts.js"));

export class MtaStsPolicies {
  private readonly cache = new Map<string, MTASTSPolicy>();

  constructor(private readonly resolver: Resolver) {}

  async policy(domain: string): Promise<MTASTSPolicy> {
    const known = this.cache.get(domain);
    if (known?.expires && new Date(known.expires) > new Date()) return known;
    const resolve = (name: string, type: string) => this.resolver.resolve(name, type as "TXT") as Promise<never>;
    const { policy } = await (await sts()).getPolicy(domain, known, { resolver: resolve } as never);
    // No policy published: ask DNS again in a few minutes, not for every connection.
    this.cache.set(domain, policy.expires ? policy : { ...policy, expires: new Date(Date.now() + NO_POLICY_RECHECK_MS).toISOString() });
    return policy;
  }

  async decide(domain: string, mxHost: string): Promise<StsDecision> {
    const p = await this.policy(domain);
    if (p.mode !== "enforce") return { requireVerifiedTls: false, refuseHost: false };
    const v = (await sts()).validateMx(mxHost, p);
    return { requireVerifiedTls: true, refuseHost: !v.valid };
  }
}
