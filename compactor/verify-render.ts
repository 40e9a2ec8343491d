/**
 * The plain-words rendering of a VerifyReport, for `kubetime verify`.
 */
import type { Micros } from '../core/time.ts';
import { formatTime } from '../core/time.ts';
import type { Severity, VerifyReport } from './verify.ts';

const LABEL: Record<Severity, string> = { ok: 'OK     ', note: 'NOTE   ', warning: 'WARNING', problem: 'PROBLEM' };

/** `90s`, `15m`, `2h 5m`, `3d 4h`. */
export function humanDuration(d: Micros): string {
  const s = Math.round(d / 1e6);
  if (s < 120) return `${s}s`;
  const m = Math.round(s / 60);
  if (m < 120) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h}h ${m % 60}m` : `${h}h`;
  const days = Math.floor(h / 24);
  return h % 24 ? `${days}d ${h % 24}h` : `${days}d`;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export function renderVerifyReport(r: VerifyReport): string {
  const lines = [`kubetime verify: snapshots at ${r.location}, checked at ${formatTime(r.checkedAt)}`];
  const general = r.findings.filter((f) => f.cluster === undefined);
  for (const f of general) lines.push(`  ${LABEL[f.severity]}  ${f.message}`);
  const clusters = [...new Set(r.findings.map((f) => f.cluster).filter((c): c is string => c !== undefined))];
  for (const c of clusters) {
    lines.push(`cluster ${c}:`);
    for (const f of r.findings.filter((x) => x.cluster === c)) lines.push(`  ${LABEL[f.severity]}  ${f.message}`);
  }
  if (!r.findings.length) lines.push('  nothing to check: no snapshots and an empty store');
  const { problem, warning, note } = r.counts;
  lines.push(
    problem
      ? `Result: NOT OK — ${plural(problem, 'problem')}, ${plural(warning, 'warning')}.`
      : `Result: OK${warning ? ` with ${plural(warning, 'warning')}` : ''}${note ? ` (${plural(note, 'note')})` : ''}.`,
  );
  return lines.join('\n') + '\n';
}
