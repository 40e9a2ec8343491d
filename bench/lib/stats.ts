/** Small helpers for the benchmarks: percentiles, formatting, LMDB space accounting, CPU of other processes. */
import { readFileSync } from 'node:fs';

export function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function summary(samples: number[]): { p50: number; p99: number; max: number; n: number } {
  const s = [...samples].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p99: percentile(s, 99), max: s.at(-1) ?? NaN, n: s.length };
}

export const fmt = (n: number, digits = 2) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits > 0 ? Math.min(digits, 2) : 0 });

export function args(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) {
      const [k, v] = a.slice(2).split('=');
      out[k!] = v ?? (argv[i + 1] && !argv[i + 1]!.startsWith('--') ? argv[++i]! : 'true');
    }
  }
  return out;
}

interface DbStat { pageSize: number; treeBranchPageCount: number; treeLeafPageCount: number; overflowPages: number; entryCount: number }

/** Bytes of pages an LMDB database occupies (B-tree overhead included: the honest figure). */
export function lmdbBytes(db: { getStats(): unknown }): number {
  const s = db.getStats() as DbStat;
  return (s.treeBranchPageCount + s.treeLeafPageCount + s.overflowPages) * s.pageSize;
}

/** CPU ms (utime + stime) another process has used so far, from /proc/<pid>/stat (Linux, ticks of 10 ms); NaN without a pid or elsewhere. */
export function processCpuMs(pid: number | string | undefined): number {
  if (pid === undefined || pid === '' || pid === 0) return NaN;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return NaN;
  }
}

/** Bytes of pages all of an embedded store's databases occupy (LmdbHistoryStore.dbs; the root environment left out). */
export function storeBytes(dbs: object): number {
  return Object.entries(dbs).filter(([k]) => k !== 'root').reduce((n, [, db]) => n + lmdbBytes(db as never), 0);
}
