/**
 * Wall-clock instants in microseconds, on the same machine clock the apiserver stamps its audit
 * events with. kubetime's own clock is `performance.timeOrigin + performance.now()`; Date.now()
 * is the realtime clock. The two may drift apart by a little over a process's life, so an instant
 * that must *bracket* an event (a probe's send and receive) is taken on both and widened to cover
 * either reading.
 */
export type Micros = number;

const perfMicros = (): Micros => Math.round((performance.timeOrigin + performance.now()) * 1000);

/** Now, in µs. */
export function nowMicros(): Micros {
  return perfMicros();
}

/** The earliest reading of now (for the start of an interval). */
export function nowLow(): Micros {
  return Math.min(perfMicros(), Date.now() * 1000);
}

/** The latest reading of now (for the end of an interval). */
export function nowHigh(): Micros {
  return Math.max(perfMicros(), Date.now() * 1000 + 999);
}

/** RFC 3339 UTC with exactly six fraction digits, as kube-apiserver writes MicroTime. */
export function formatMicros(t: Micros): string {
  const ms = Math.floor(t / 1000);
  const micros = ((t % 1_000_000) + 1_000_000) % 1_000_000;
  return `${new Date(ms).toISOString().slice(0, 19)}.${String(micros).padStart(6, '0')}Z`;
}

/** Parses an RFC 3339 time (any fraction, Z or offset) to µs; NaN when it is not one. */
export function parseMicros(text: string): Micros {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(text);
  if (!m) return Number.NaN;
  const seconds = Date.parse(`${m[1]}${m[3]}`);
  const frac = Number((m[2] ?? '').padEnd(6, '0').slice(0, 6));
  return seconds * 1000 + frac;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
