/**
 * Kubernetes time in microseconds since the Unix epoch (`Micros`): audit `stageTimestamp`s and
 * MicroTime fields carry microseconds, so milliseconds would merge distinct moments; 2^53 µs is
 * year 2255, so a JS number holds every value exactly. RFC 3339 in and out, and ages as kubectl
 * prints them.
 */

export type Micros = number;

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

/** Parses an RFC 3339 timestamp (any fraction length, any offset) to microseconds, or undefined. */
export function parseRfc3339(text: string): Micros | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac = '', zone] = m;
  const date = new Date(Date.UTC(2000, +mo! - 1, +d!, +h!, +mi!, +s!));
  date.setUTCFullYear(+y!); // Date.UTC reads years 0–99 as 1900–1999
  const base = date.getTime();
  if (Number.isNaN(base)) return undefined;
  const check = new Date(base);
  if (check.getUTCDate() !== +d! || check.getUTCMonth() !== +mo! - 1 || +h! > 23 || +mi! > 59 || +s! > 60) {
    return undefined;
  }
  const micros = Number((frac + '000000').slice(0, 6));
  let offsetMinutes = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone!.startsWith('-') ? -1 : 1;
    offsetMinutes = sign * (Number(zone!.slice(1, 3)) * 60 + Number(zone!.slice(4, 6)));
  }
  return (base - offsetMinutes * 60_000) * 1000 + micros;
}

/** Formats microseconds as RFC 3339 UTC, keeping only the fraction digits needed. */
export function formatTime(t: Micros): string {
  const ms = Math.floor(t / 1000);
  const iso = new Date(ms).toISOString(); // yyyy-mm-ddThh:mm:ss.mmmZ
  const micros = ((t % 1_000_000) + 1_000_000) % 1_000_000;
  const frac = String(micros).padStart(6, '0').replace(/0+$/, '');
  return iso.slice(0, 19) + (frac ? `.${frac}` : '') + 'Z';
}

/**
 * A duration as kubectl and the API server's tables print ages (the one way a duration is shown
 * to people): 45s, 5m30s, 45m, 3h5m, 30h, 3d4h, 120d, 2y30d.
 * Negative or unknown durations print as `<unknown>`.
 */
export function humanDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '<unknown>';
  const s = Math.floor(seconds);
  const m = Math.floor(s / 60);
  const h = Math.floor(m / 60);
  const d = Math.floor(h / 24);
  const withRest = (big: string, rest: number, unit: string) => (rest ? `${big}${rest}${unit}` : big);
  if (s < 120) return `${s}s`;
  if (m < 10) return withRest(`${m}m`, s % 60, 's');
  if (h < 3) return `${m}m`;
  if (h < 8) return withRest(`${h}h`, m % 60, 'm');
  if (h < 48) return `${h}h`;
  if (d < 8) return withRest(`${d}d`, h % 24, 'h');
  if (d < 730) return `${d}d`;
  return withRest(`${Math.floor(d / 365)}y`, d % 365, 'd');
}
