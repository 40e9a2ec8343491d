/**
 * A seeded, deterministic history in an embedded store, for the MCP tests and the agent-tools
 * benchmark: the simulator's scenario (rollouts, crash loops, OOM kills, drains, config edits,
 * Events) run on a manual clock, its audit events ingested through the AuditSink as an audit-log
 * import would, into an LmdbHistoryStore in `dir/store`.
 */
import { join } from 'node:path';
import { ManualClock } from '../../simulator/manual-clock.ts';
import { simulateHistory, type SimulatedHistory } from '../../simulator/history.ts';
import { AuditSink } from '../../ingester/audit/audit-sink.ts';
import { LmdbHistoryStore } from '../../store/lmdb/lmdb-history-store.ts';
import type { Micros } from '../../core/time.ts';

export const SEEDED_CLUSTER = 'sim';

export interface SeededHistory {
  /** The simulated clock's end: use it as "now" of the queries. */
  end: Micros;
  history: SimulatedHistory;
  /** Changes recorded. */
  accepted: number;
}

/** Runs `seconds` of the scenario `seed` and stores it in `dir/store` (closed again afterwards). */
export async function seedStore(dir: string, opts: { seed?: number; seconds?: number } = {}): Promise<SeededHistory> {
  const history = simulateHistory({ scenario: { seed: opts.seed ?? 7, churnPerSecond: 4, deployments: 6, replicas: 3 }, seconds: opts.seconds ?? 900 });
  const store = LmdbHistoryStore.open({ path: join(dir, 'store') });
  try {
    const clock = new ManualClock(history.clock.now());
    const sink = new AuditSink({ writer: { write: async (r) => void (await store.append(r)) }, clock, cluster: SEEDED_CLUSTER });
    let accepted = 0;
    for (let i = 0; i < history.audit.length; i += 500) accepted += (await sink.ingestEvents(history.audit.slice(i, i + 500))).accepted;
    return { end: history.clock.now(), history, accepted };
  } finally {
    await store.close();
  }
}
