/**
 * Deterministic histories without a server: run a scenario on a manual clock for a while and
 * get back the ground truth and the audit events (e.g. as audit-log lines for import tests).
 */
import { toAuditEvent, type AuditEvent, type AuditLevel } from './audit.ts';
import { Cluster } from './cluster.ts';
import { GroundTruth, type TruthRevision } from './ground-truth.ts';
import { ManualClock } from './manual-clock.ts';
import type { Mutation } from './mutation.ts';
import { ScenarioEngine, type ScenarioOptions } from './scenario.ts';

export interface HistoryOptions {
  scenario: ScenarioOptions;
  /** Simulated seconds to run after bootstrap. */
  seconds: number;
  /** Clock step per engine step. Default 100 ms. */
  tickMs?: number;
  /** Start time in µs (default 2026-01-10T10:00:00Z). */
  start?: number;
  levelFor?: (m: Mutation) => AuditLevel;
}

export interface SimulatedHistory {
  cluster: Cluster;
  engine: ScenarioEngine;
  clock: ManualClock;
  truth: TruthRevision[];
  /** Audit events in commit order. */
  audit: AuditEvent[];
}

export function simulateHistory(opts: HistoryOptions): SimulatedHistory {
  const clock = new ManualClock(opts.start);
  const cluster = new Cluster({ clock, seed: opts.scenario.seed });
  const truth = new GroundTruth(cluster);
  const audit: AuditEvent[] = [];
  cluster.onMutation((m) => {
    const ev = toAuditEvent(m, { seed: opts.scenario.seed, levelFor: opts.levelFor });
    if (ev) audit.push(ev);
  });
  const engine = new ScenarioEngine(cluster, opts.scenario);
  engine.bootstrap();
  const tick = opts.tickMs ?? 100;
  for (let t = 0; t < opts.seconds * 1000; t += tick) {
    clock.advanceMs(tick);
    engine.step();
  }
  truth.stop();
  return { cluster, engine, clock, truth: [...truth.all()], audit };
}

/** Audit events as kube-apiserver's log backend writes them: one JSON Event per line. */
export function auditLogLines(events: readonly AuditEvent[]): string {
  return events.map((e) => JSON.stringify(e)).join('\n') + '\n';
}
