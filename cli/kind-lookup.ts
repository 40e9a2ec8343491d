/**
 * The kind of a (group, resource) among the kinds the store has seen (CRDs), for audit events
 * when no watched cluster's discovery knows it. A miss refreshes the table from `store.kinds()`,
 * which reads the whole kinds index: at most one refresh runs at a time and at most one starts per
 * `minIntervalMs`, so a burst of audit events for an unknown resource costs one read, not one each.
 */
import type { HistoryStore } from '../core/ports.ts';
import type { Clock } from '../core/time.ts';

export const KIND_REFRESH_INTERVAL_MS = 10_000;

export function kindLookup(
  store: Pick<HistoryStore, 'kinds'>, cluster: string, clock: Clock, minIntervalMs = KIND_REFRESH_INTERVAL_MS,
): (group: string, resource: string) => string | undefined {
  let table = new Map<string, string>();
  let running = false;
  let lastStart = -Infinity;
  const refresh = (): void => {
    const now = clock.now() / 1000;
    if (running || now - lastStart < minIntervalMs) return;
    running = true;
    lastStart = now;
    store.kinds(cluster)
      .then((kinds) => { table = new Map(kinds.map((k) => [`${k.group}/${k.resource}`, k.kind])); })
      .catch(() => undefined)
      .finally(() => { running = false; });
  };
  refresh();
  return (group, resource) => {
    const hit = table.get(`${group}/${resource}`);
    if (hit === undefined) refresh();
    return hit;
  };
}
