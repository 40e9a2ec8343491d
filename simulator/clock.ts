/**
 * The simulator's time source: the wall clock, or a ManualClock (manual-clock.ts) that tests and
 * deterministic runs step. The same shape as kubetime's Clock, so one can drive both.
 */
import type { Micros } from '../k8s/time.ts';

export interface Clock {
  now(): Micros;
}

/** Wall-clock time in µs, sub-millisecond where the platform gives it. */
export const systemClock: Clock = {
  now: () => Math.round((performance.timeOrigin + performance.now()) * 1000),
};
