/** Ingest side of the benchmarks' A/B runs: the same audit batch to several stores, timed in CPU. */
import type { ChangeRecord } from '../../core/record.ts';

/** CPU time of this process (every thread, lmdb's write thread too), ms: on a loaded machine wall time mostly measures waiting. */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * Batch `i` (EventList text) to a bare JSON.parse and to each store (parsed and converted by
 * `convert`), in an order rotated by `i`; adds each step's CPU ms to `spent`.
 */
export async function ingestInterleaved<W extends string>(
  i: number, text: string,
  stores: Record<W, { append(records: ChangeRecord[]): Promise<unknown> }>,
  convert: (items: unknown[]) => ChangeRecord[],
  spent: Record<W | 'parse', number>,
): Promise<void> {
  const steps = [
    async () => {
      const c = cpuMs();
      JSON.parse(text);
      spent.parse += cpuMs() - c;
    },
    ...(Object.keys(stores) as W[]).map((w) => async () => {
      const c = cpuMs();
      await stores[w].append(convert((JSON.parse(text) as { items: unknown[] }).items));
      spent[w] += cpuMs() - c;
    }),
  ];
  for (let k = 0; k < steps.length; k++) await steps[(i + k) % steps.length]!();
}
