/** When a deferred recipient is tried again: first retry after QUEUE_RETRY_FIRST_SECONDS, doubling up to QUEUE_RETRY_MAX_SECONDS (as Postfix's backoff). */
import type { Config } from "../../lib/config";

export type Schedule = Pick<Config, "queueRetryFirstMs" | "queueRetryMaxMs" | "queueLifetimeMs" | "queueDelayNoticeMs">;

/** Delay before the next try after `attempts` failed attempts (1 = the first failed). */
export function retryDelay(s: Schedule, attempts: number): number {
  const n = Math.max(0, attempts - 1);
  return Math.min(s.queueRetryMaxMs, s.queueRetryFirstMs * 2 ** Math.min(n, 30));
}

/** Whether a message queued at `createdAt` has been in the queue too long to try again. */
export function expired(s: Schedule, createdAt: Date, now: Date): boolean {
  return now.getTime() - createdAt.getTime() >= s.queueLifetimeMs;
}

/** Whether a delay notice is due (RFC 3464 action "delayed"), once per recipient. */
export function delayNoticeDue(s: Schedule, createdAt: Date, now: Date): boolean {
  return s.queueDelayNoticeMs > 0 && now.getTime() - createdAt.getTime() >= s.queueDelayNoticeMs;
}
