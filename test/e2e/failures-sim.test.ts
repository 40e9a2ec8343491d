/**
 * The failure timeline against the simulator's ground truth: the scenario engine records every
 * crash loop, OOM kill, image pull failure, drain (cordon) and unschedulable Pod it causes, with
 * its span and the change that triggered it (a bad release, a cordon). Its whole history is stored as kubetime
 * stores a watched and audited cluster, then GET /v1/failures is asked about the run.
 *
 * Asserted: every injected failure is found on the right object with its start and end within
 * 5 s; the triggering change is the first suspect in at least 90% of the failures that had one;
 * no span is reported for an object the engine did not break (a Deployment's unavailable
 * replicas count as broken only while one of its Pods was).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRUSTED_VIEWER } from '../../core/access.ts';
import { FailureIndex } from '../../core/failures/failure-index.ts';
import type { FailureSpan } from '../../core/failures/types.ts';
import { createHistoryQueries } from '../../core/queries.ts';
import type { ChangeRecord } from '../../core/record.ts';
import { formatTime } from '../../core/time.ts';
import { Cluster } from '../../simulator/cluster.ts';
import type { InjectedFailure } from '../../simulator/injected.ts';
import { ManualClock } from '../../simulator/manual-clock.ts';
import { storedRecord } from './lib/sim-records.ts';
import { NO_BEHAVIOURS, ScenarioEngine } from '../../simulator/scenario.ts';
import { LmdbHistoryStore } from '../../store/lmdb/lmdb-history-store.ts';

const SEC = 1e6;
const TOLERANCE = 5 * SEC;
const MINUTES = 45;

interface Run {
  injected: readonly InjectedFailure[];
  spans: FailureSpan[];
  /** The same question answered from the index kept as the records arrived. */
  indexed: FailureSpan[];
  start: number;
  end: number;
}

let dir: string;
let store: LmdbHistoryStore;
let run: Run;

async function simulate(): Promise<Run> {
  const clock = new ManualClock();
  const cluster = new Cluster({ clock, seed: 14 });
  const records: ChangeRecord[] = [];
  const index = new FailureIndex();
  const append = async (batch: ChangeRecord[]) => {
    await store.append(batch);
    index.observe(batch);
  };
  cluster.onMutation((m) => records.push(storedRecord(m, 'sim')));
  const engine = new ScenarioEngine(cluster, {
    seed: 14, deployments: 10, replicas: 3, churnPerSecond: 4, widgets: false,
    // HPAs reaching their maximum and PVC resizes are states, not injected failures: left out.
    weights: { ...NO_BEHAVIOURS, rollout: 2, 'bad-rollout': 1, 'image-pull-failure': 0.6, crashloop: 1.5, oomkill: 1.5, 'node-drain': 0.6, 'config-edit': 2, 'secret-rotate': 1, 'pod-delete': 1, 'network-edit': 1 },
  });
  engine.bootstrap();
  const start = clock.now();
  for (let t = 0; t < MINUTES * 60_000; t += 100) {
    clock.advanceMs(100);
    engine.step();
    if (records.length > 2000) await append(records.splice(0));
  }
  await append(records.splice(0));
  const end = clock.now();
  const q = createHistoryQueries({ store });
  const { items } = await q.failures({ viewer: TRUSTED_VIEWER, from: start, to: end });
  const indexed = await createHistoryQueries({ store, failures: { index } }).failures({ viewer: TRUSTED_VIEWER, from: start, to: end });
  return { injected: engine.world.injected.all().filter((f) => f.start >= start), spans: items, indexed: indexed.items, start, end };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kubetime-failures-sim-'));
  store = LmdbHistoryStore.open({ path: dir });
  run = await simulate();
}, 300_000);

afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const near = (a: number | null, b: number | null) => (a === null || b === null ? a === b : Math.abs(a - b) <= TOLERANCE);
const show = (f: { kind: string; namespace: string; name: string; reason: string; start: number; end: number | null }) =>
  `${f.kind} ${f.namespace}/${f.name} ${f.reason} ${formatTime(f.start)}..${f.end === null ? 'ongoing' : formatTime(f.end)}`;

function matchOf(f: InjectedFailure, spans: readonly FailureSpan[]): FailureSpan | undefined {
  return spans.find((s) => s.object.kind === f.kind && (s.object.namespace ?? '') === f.namespace && s.object.name === f.name
    && s.reason === f.reason && near(s.start, f.start) && near(s.end, f.end));
}

describe('failure timeline vs the simulator ground truth', () => {
  it('caused enough failures of each kind to judge', () => {
    const count = (reason: string) => run.injected.filter((f) => f.reason === reason).length;
    console.info(`failures: injected ${run.injected.length} (${['CrashLoopBackOff', 'OOMKilled', 'ImagePullBackOff', 'Cordoned', 'Unschedulable'].map((r) => `${r} ${count(r)}`).join(', ')}), ${run.spans.length} spans reported`);
    expect(count('CrashLoopBackOff')).toBeGreaterThanOrEqual(10);
    expect(count('OOMKilled')).toBeGreaterThanOrEqual(5);
    expect(count('Cordoned')).toBeGreaterThanOrEqual(2);
    expect(count('ImagePullBackOff')).toBeGreaterThanOrEqual(3);
    expect(run.injected.filter((f) => f.trigger).length).toBeGreaterThanOrEqual(10);
  });

  it('finds every injected failure on the right object, its span within 5 s', () => {
    const missed = run.injected.filter((f) => !matchOf(f, run.spans)).map((f) => show(f));
    expect(missed).toEqual([]);
  });

  it('ranks the triggering change first among the suspects in at least 90% of failures', () => {
    const triggered = run.injected.filter((f) => f.trigger);
    const first = triggered.filter((f) => {
      const top = matchOf(f, run.spans)?.suspects[0];
      return top && top.ref.kind === f.trigger!.kind && top.ref.name === f.trigger!.name && top.resourceVersion === f.trigger!.resourceVersion;
    });
    console.info(`failures: ${first.length}/${triggered.length} triggering changes ranked first`);
    if (process.env.DEBUG_FAILURES) for (const f of triggered.filter((x) => !first.includes(x))) console.info(show(f), f.trigger, matchOf(f, run.spans)?.suspects.map((s) => `${s.ref.kind}/${s.ref.name} ${s.resourceVersion} ${s.actor?.username} ${s.diff.slice(0, 80)}`));
    expect(first.length / triggered.length).toBeGreaterThanOrEqual(0.9);
  });

  it('reports no span for an object the engine did not break', () => {
    const broken = (kind: string, namespace: string, name: string, s: FailureSpan) => run.injected.some((f) => {
      const owns = kind === 'Deployment' ? f.kind === 'Pod' && f.namespace === namespace && f.name.startsWith(`${name}-`) : f.kind === kind && f.namespace === namespace && f.name === name;
      return owns && f.start <= (s.end ?? run.end) + TOLERANCE && (f.end ?? run.end) >= s.start - TOLERANCE;
    });
    const healthy = run.spans.filter((s) => !broken(s.object.kind, s.object.namespace ?? '', s.object.name, s));
    expect(healthy.map((s) => show({ ...s, ...s.object, namespace: s.object.namespace ?? '' }))).toEqual([]);
  });

  it('answers the same from the index kept as records arrived as from a scan of the store', () => {
    expect(run.indexed.length).toBe(run.spans.length);
    expect(run.indexed).toEqual(run.spans);
  });

  it('gives the evidence: container, exit code, restarts, memory limit, the Pods a drain affected', () => {
    const oom = run.spans.find((s) => s.reason === 'OOMKilled')!;
    expect(oom.evidence).toMatchObject({ exitCode: 137, terminationReason: 'OOMKilled', restarts: 1 });
    expect(oom.evidence.container).toBeTruthy();
    expect(oom.evidence.memoryLimit).toMatch(/i$/);
    const loop = run.spans.find((s) => s.reason === 'CrashLoopBackOff' && s.end !== null)!;
    expect(loop.evidence.exitCode).toBe(1);
    expect(loop.evidence.restarts).toBeGreaterThanOrEqual(1);
    expect(loop.evidence.events?.find((e) => e.reason === 'BackOff')?.message).toContain('Back-off restarting failed container');
    const cordon = run.spans.find((s) => s.reason === 'Cordoned' && s.end !== null)!;
    expect(cordon.affected?.length).toBeGreaterThan(0);
    expect(cordon.recoveredAfter?.diff).toContain('unschedulable: true → (none)');
    const pull = run.spans.find((s) => s.reason === 'ImagePullBackOff')!;
    expect(pull.evidence.image).toMatch(/:v[\d.]+-rc0$/);
    expect(pull.evidence.message).toContain('not found');
    const release = run.injected.find((f) => f.trigger?.kind === 'Deployment')!;
    const bad = matchOf(release, run.spans)!;
    expect(bad.suspects[0]!.diff).toMatch(/^image: .+:v[\d.]+ → .+:v[\d.]+(-rc0)?$/);
    expect(bad.suspects[0]!.actor?.username).toBeTruthy();
  });
});
