/**
 * A manual clock for tests: `delay` resolves only when `advance` moves time past it, so backoff,
 * watchdogs and lingering are tested without sleeping.
 */
import type { Timing } from '../timing.ts';

interface Timer {
  at: number;
  resolve: () => void;
}

/** Lets pending promise chains and I/O callbacks run. */
export async function settle(turns = 30): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
}

/** Polls `cond` between event-loop turns (real time, up to `ms`); throws with `what` if it never holds. */
export async function waitFor(cond: () => boolean, what = 'condition', ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  for (let i = 0; ; i++) {
    if (cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => (i % 50 === 49 ? setTimeout(r, 1) : setImmediate(r)));
  }
}

export class FakeTiming implements Timing {
  /** µs. */
  now = Date.UTC(2026, 0, 10, 12) * 1000;
  readonly clock = { now: () => this.now };
  #timers: Timer[] = [];
  random = (): number => 0.5;

  delay = (ms: number, signal?: AbortSignal): Promise<void> => {
    if (signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer: Timer = { at: this.now + ms * 1000, resolve };
      this.#timers.push(timer);
      signal?.addEventListener('abort', () => {
        this.#timers = this.#timers.filter((t) => t !== timer);
        resolve();
      }, { once: true });
    });
  };

  /** Timers waiting. */
  get pending(): number {
    return this.#timers.length;
  }

  /** Moves time forward by `ms`, firing due timers in order and letting their work run. */
  async advance(ms: number): Promise<void> {
    const target = this.now + ms * 1000;
    for (;;) {
      await settle();
      const due = this.#timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.#timers = this.#timers.filter((t) => t !== due);
      this.now = Math.max(this.now, due.at);
      due.resolve();
    }
    this.now = target;
    await settle();
  }
}
