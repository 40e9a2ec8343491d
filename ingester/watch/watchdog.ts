/**
 * Watchdog: aborts a watch that delivered no bytes (not even a bookmark) for `limitMs`.
 * client-node's informer is known to stop silently when a connection dies without a FIN
 * (kubernetes-client/javascript issues 364, 596, 958); a silent TCP stream can take the kernel
 * many minutes to notice. Time passes through the injected Timing, so tests need no sleeping.
 */
import type { Timing } from '../timing.ts';

export class Watchdog {
  readonly #t: Timing;
  readonly #limitMicros: number;
  readonly #ctl: AbortController;
  #last: number;
  #busy = false;
  /** True once the watchdog aborted the watch. */
  stalled = false;
  /** Settles when the watchdog stops (the controller aborted, by it or anyone). */
  readonly done: Promise<void>;

  /** Starts watching; aborts `ctl` on silence. Checks four times per `limitMs`. */
  constructor(opts: { timing: Timing; limitMs: number; ctl: AbortController }) {
    this.#t = opts.timing;
    this.#limitMicros = opts.limitMs * 1000;
    this.#ctl = opts.ctl;
    this.#last = this.#t.clock.now();
    this.done = this.#loop(Math.max(10, Math.floor(opts.limitMs / 4)));
  }

  /** Bytes arrived: the consumer is busy with them (time spent writing is not silence). */
  busy(): void {
    this.#busy = true;
  }

  /** The consumer is ready for more: silence counts from now. */
  idle(): void {
    this.#busy = false;
    this.#last = this.#t.clock.now();
  }

  async #loop(checkMs: number): Promise<void> {
    const signal = this.#ctl.signal;
    while (!signal.aborted) {
      await this.#t.delay(checkMs, signal);
      if (signal.aborted) return;
      if (!this.#busy && this.#t.clock.now() - this.#last >= this.#limitMicros) {
        this.stalled = true;
        this.#ctl.abort();
      }
    }
  }
}
