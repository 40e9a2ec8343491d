/** Timestamp formats as Kubernetes writes them. */
import type { Micros } from '../k8s/time.ts';

/** `metav1.Time`: RFC 3339 in UTC with whole seconds (`2026-01-10T10:05:00Z`). */
export function k8sTime(t: Micros): string {
  return new Date(Math.floor(t / 1_000_000) * 1000).toISOString().slice(0, 19) + 'Z';
}

/** `metav1.MicroTime`: always six fraction digits (`2026-01-10T10:05:00.123456Z`), as audit events carry. */
export function microTime(t: Micros): string {
  const secs = Math.floor(t / 1_000_000);
  const frac = String(t - secs * 1_000_000).padStart(6, '0');
  return new Date(secs * 1000).toISOString().slice(0, 19) + `.${frac}Z`;
}

/** Microseconds for a whole number of seconds. */
export function seconds(n: number): Micros {
  return Math.round(n * 1_000_000);
}
