/**
 * A disk budget for the embedded store: the compactor measures the store's folder after every
 * run and warns from `warnAt` (default 80 %) of the budget, before it is reached, and logs an
 * error once it is exceeded. Measuring is injected (`usage`), so tests need no files.
 */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface DiskBudget {
  /** The budget in bytes. */
  bytes: number;
  /** Fraction of the budget from which a warning is logged (default 0.8). */
  warnAt?: number;
  /** Bytes in use now (e.g. `() => directorySize(dataDir)`). */
  usage: () => Promise<number>;
}

export type DiskLevel = 'ok' | 'warning' | 'exceeded';

export interface DiskStatus {
  used: number;
  budget: number;
  /** used / budget */
  ratio: number;
  level: DiskLevel;
  /** Plain words, for logs and `verify`. */
  message: string;
}

const gb = (n: number): string => `${(n / 1e9).toFixed(2)} GB`;

/** Classifies a usage against a budget (pure). */
export function diskStatus(used: number, budget: number, warnAt = 0.8): DiskStatus {
  const ratio = budget > 0 ? used / budget : Infinity;
  const level: DiskLevel = ratio >= 1 ? 'exceeded' : ratio >= warnAt ? 'warning' : 'ok';
  const pct = `${Math.round(ratio * 100)} %`;
  const message =
    level === 'exceeded'
      ? `the store uses ${gb(used)}, over its disk budget of ${gb(budget)} (${pct}); shorten retention or raise the budget`
      : level === 'warning'
        ? `the store uses ${gb(used)}, ${pct} of its disk budget of ${gb(budget)}; it will be reached soon at this rate`
        : `the store uses ${gb(used)} of its ${gb(budget)} disk budget (${pct})`;
  return { used, budget, ratio, level, message };
}

/** Bytes allocated on disk by the files under `path` (sparse files count what they occupy). */
export async function directorySize(path: string): Promise<number> {
  let total = 0;
  let entries;
  try {
    entries = await readdir(path, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw e;
  }
  for (const entry of entries) {
    const full = join(path, entry.name);
    if (entry.isDirectory()) total += await directorySize(full);
    else if (entry.isFile()) {
      const st = await lstat(full).catch(() => undefined);
      if (st) total += Math.min(st.size, st.blocks * 512);
    }
  }
  return total;
}
