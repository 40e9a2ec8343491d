/** A clock that only moves when told to: tests and deterministic runs step it explicitly. */
import type { Micros } from '../k8s/time.ts';
import type { Clock } from './clock.ts';

export class ManualClock implements Clock {
  private t: Micros;

  /** Starts at `start` µs (default 2026-01-10T10:00:00Z). */
  constructor(start: Micros = Date.UTC(2026, 0, 10, 10, 0, 0) * 1000) {
    this.t = start;
  }

  now(): Micros {
    return this.t;
  }

  /** Moves forward by `micros`. */
  advance(micros: Micros): Micros {
    this.t += micros;
    return this.t;
  }

  /** Moves forward by `ms` milliseconds. */
  advanceMs(ms: number): Micros {
    return this.advance(Math.round(ms * 1000));
  }
}
