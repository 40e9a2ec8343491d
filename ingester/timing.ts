/**
 * Time, delays and randomness, injected into every ingester component so backoff, watchdogs and
 * batching are tested without sleeping (a fake `delay` resolves when the test says so).
 */
import { systemClock, type Clock } from '../core/time.ts';

export interface Timing {
  clock: Clock;
  /** Resolves after `ms`, or as soon as `signal` aborts (never rejects). */
  delay(ms: number, signal?: AbortSignal): Promise<void>;
  /** Uniform in [0, 1). */
  random(): number;
}

function realDelay(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export const realTiming: Timing = { clock: systemClock, delay: realDelay, random: Math.random };

export interface BackoffPolicy {
  /** First retry delay, ms. */
  baseMs: number;
  /** Upper bound of any delay, ms. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 500, maxMs: 30_000 };

/**
 * Exponential backoff with "equal jitter": half of the capped exponential step is fixed, half is
 * random. The fixed half bounds the retry rate; the random half spreads many watchers that failed
 * together (an API server restart) over the window instead of reconnecting in lockstep.
 * `attempt` counts consecutive failures from 1.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number): number {
  const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
  return Math.round(exp / 2 + (exp / 2) * random());
}
