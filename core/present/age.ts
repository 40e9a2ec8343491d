/** kubectl's relative durations (k8s.io/apimachinery util/duration HumanDuration), as of a time. */
import { parseRfc3339, type Micros } from '../time.ts';

/** `d` µs as kubectl prints an age: 45s, 3m20s, 12m, 5h3m, 30h, 3d4h, 40d, 2y10d. */
export function humanDuration(d: Micros): string {
  const seconds = Math.floor(d / 1e6);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 ? `${minutes}m${seconds % 60}s` : `${minutes}m`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 ? `${hours}h${minutes % 60}m` : `${hours}h`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 ? `${Math.floor(hours / 24)}d${hours % 24}h` : `${hours / 24}d`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 365 * 2) return `${days}d`;
  if (hours < 24 * 365 * 8) return days % 365 ? `${Math.floor(days / 365)}y${days % 365}d` : `${days / 365}y`;
  return `${Math.floor(days / 365)}y`;
}

/** The age of an RFC 3339 timestamp as of `at`; `<unknown>` when absent, as kubectl prints it. */
export function ageAt(timestamp: unknown, at: Micros): string {
  const t = typeof timestamp === 'string' ? parseRfc3339(timestamp) : undefined;
  return t === undefined ? '<unknown>' : humanDuration(at - t);
}
