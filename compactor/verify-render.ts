/**
 * The plain-words rendering of a VerifyReport, for `kubetime verify`.
 */
import { formatTime } from '../core/time.ts';
import type { Severity, VerifyReport } from './verify.ts';

const LABEL: Record<Severity, string> = { ok: 'OK     ', note: 'NOTE   ', warning: 'WARNING', problem: 'PROBLEM' };

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
