/**
 * Time in kubetime is an integer count of microseconds since the Unix epoch (`Micros`, from
 * k8s/time.ts, which says why). Here: query times (`now-1h`) and the Clock port.
 */
import { parseRfc3339, type Micros } from '../k8s/time.ts';
import { KubetimeError } from './errors.ts';

/** Kubernetes time helpers live in k8s/time.ts; re-exported for kubetime's modules. */
export { formatTime, humanDuration, parseRfc3339, type Micros } from '../k8s/time.ts';

const RELATIVE = /^now(?:-(\d+)([smhd]))?$/;
const UNIT_MICROS = { s: 1e6, m: 60e6, h: 3600e6, d: 86400e6 } as const;

/**
 * Parses a query time: RFC 3339, `now`, or `now-<n><s|m|h|d>`.
 * @throws KubetimeError INVALID_ARGUMENT naming `param`.
 */
export function parseTime(text: string, param: string, now: Micros): Micros {
  const rel = RELATIVE.exec(text.trim());
  if (rel) {
    if (!rel[1]) return now;
    return now - Number(rel[1]) * UNIT_MICROS[rel[2] as keyof typeof UNIT_MICROS];
  }
  const t = parseRfc3339(text.trim());
  if (t === undefined) {
    throw new KubetimeError('INVALID_ARGUMENT', `${param}: "${text}" is not a time; use RFC 3339 (2026-01-10T10:05:00Z), now, or now-<n><s|m|h|d>`, { param });
  }
  return t;
}

/** Source of the current time; injected so schedules and timeouts are tested without sleeping. */
export interface Clock {
  now(): Micros;
}

export const systemClock: Clock = {
  now: () => Math.round((performance.timeOrigin + performance.now()) * 1000),
};
