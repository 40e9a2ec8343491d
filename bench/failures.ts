/**
 * Benchmark of the failure timeline (issue 14) on the embedded store: a day-long window over a
 * busy 3,000-Pod namespace, answered by a bounded scan of the window (core/failures/query.ts),
 * against the same process's 3,000-Pod list as of T as the baseline; and what an index kept as
 * records arrive would cost and save (the detector run per record at ingest, measured here).
 *
 * The day: 40 Deployments (each with a ReplicaSet and a ConfigMap), 3,000 Pods created at the
 * start on 200 Nodes, then `--records` Pod status changes spread over 24 h, of which `--crash-share`
 * are crashes (a container crash-looping, recovering at its Pod's next change); 3 image
 * releases per Deployment and 20 ConfigMap edits a day; a Node cordoned and uncordoned every 2 h.
 * Run: node bench/failures.ts [--records 60000] [--crash-share 0.05] [--scans 2] [--out bench/results/failures.md]
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { TRUSTED_VIEWER } from '../core/access.ts';
import { DEFAULT_THRESHOLDS, detectPod } from '../core/failures/conditions.ts';
import { FailureIndex } from '../core/failures/failure-index.ts';
import { byUid, keysLiving, revisionsAround } from '../core/failures/scan.ts';
import { spansOf } from '../core/failures/spans.ts';
import type { ChangeRecord } from '../core/record.ts';
import { createHistoryQueries } from '../core/queries.ts';
import { LIST_CONCURRENCY } from '../core/scope.ts';
import { mapLimit } from '../core/concurrency.ts';
import { LmdbHistoryStore } from '../store/lmdb/lmdb-history-store.ts';
import { isoMicros, makePod, prng } from './lib/generate.ts';
import { args, fmt, summary } from './lib/stats.ts';

const a = args(process.argv.slice(2));
const RECORDS = Number(a.records ?? 60_000);
const CRASH_SHARE = Number(a['crash-share'] ?? 0.05);
const PODS = 3000;
const APPS = 40;
const NODES = 200;
const DAY = 24 * 3600e6;
const T0 = Date.UTC(2026, 0, 10) * 1000;
const DIR = a.dir ?? join('bench', '.data', 'failures');
const NS = 'big';
const SCANS = Number(a.scans ?? 2);

rmSync(DIR, { recursive: true, force: true });
mkdirSync(DIR, { recursive: true });
const store = LmdbHistoryStore.open({ path: DIR });
const index = new FailureIndex();
const rand = prng(14);
let rv = 1000;
let pending: ChangeRecord[] = [];

function record(obj: Record<string, any>, ts: number, op: ChangeRecord['op'], actor: string): ChangeRecord {
  const slash = String(obj.apiVersion).indexOf('/');
  obj.metadata.resourceVersion = String(++rv);
  return {
    cluster: 'bench', apiVersion: obj.apiVersion, group: slash < 0 ? '' : String(obj.apiVersion).slice(0, slash), kind: obj.kind,
    resource: `${String(obj.kind).toLowerCase()}s`,
    namespace: obj.metadata.namespace ?? '', name: obj.metadata.name, uid: obj.metadata.uid, resourceVersion: String(rv), op, ts, observedAt: ts,
    source: 'watch+audit', actor: { username: actor }, verb: op === 'ADDED' ? 'create' : 'patch', object: structuredClone(obj),
  };
}

async function emit(r: ChangeRecord): Promise<void> {
  pending.push(r);
  if (pending.length >= 500) await flush();
}

let appendMs = 0;
let observeMs = 0;

async function flush(): Promise<void> {
  if (!pending.length) return;
  let s = performance.now();
  await store.append(pending);
  appendMs += performance.now() - s;
  s = performance.now();
  index.observe(pending);
  observeMs += performance.now() - s;
  pending = [];
}

function workloads() {
  const deploys = Array.from({ length: APPS }, (_, k) => ({
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: `app${k}`, namespace: NS, uid: `deploy-${k}` },
    spec: { replicas: PODS / APPS, template: { metadata: { labels: { app: `app${k}` } }, spec: { containers: [{ name: 'c0', image: `registry.example.com/app${k}:v1.0.0` }] } } },
    status: { replicas: PODS / APPS, readyReplicas: PODS / APPS, availableReplicas: PODS / APPS },
  }));
  const replicaSets = deploys.map((d, k) => ({
    apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: `app${k}-7d9f8c`, namespace: NS, uid: `rs-${k}`, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata.name, uid: d.metadata.uid, controller: true }] },
    spec: d.spec, status: { replicas: PODS / APPS },
  }));
  const config = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app-config', namespace: NS, uid: 'cm-1' }, data: { LOG_LEVEL: 'info' } };
  const nodes = Array.from({ length: NODES }, (_, k) => ({
    apiVersion: 'v1', kind: 'Node', metadata: { name: `node-${k}`, uid: `node-${k}` }, spec: {} as Record<string, unknown>,
    status: { conditions: [{ type: 'Ready', status: 'True' }, { type: 'MemoryPressure', status: 'False' }] },
  }));
  return { deploys, replicaSets, config, nodes };
}

/** The other objects' changes over the day, in time order: releases, config edits, cordons. */
function dayEvents(w: ReturnType<typeof workloads>): { ts: number; apply: () => ChangeRecord }[] {
  const out: { ts: number; apply: () => ChangeRecord }[] = [];
  for (const [k, d] of w.deploys.entries()) {
    for (let i = 1; i <= 3; i++) {
      out.push({ ts: T0 + Math.floor(rand() * DAY), apply: () => {
        d.spec.template.spec.containers[0]!.image = `registry.example.com/app${k}:v1.${i}.0`;
        return record(d, 0, 'MODIFIED', 'ci');
      } });
    }
  }
  for (let i = 0; i < 20; i++) out.push({ ts: T0 + Math.floor(rand() * DAY), apply: () => ((w.config.data.LOG_LEVEL = i % 2 ? 'debug' : 'info'), record(w.config, 0, 'MODIFIED', 'alice')) });
  for (let h = 1; h < 24; h += 2) {
    const node = w.nodes[h % NODES]!;
    out.push({ ts: T0 + h * 3600e6, apply: () => ((node.spec = { unschedulable: true }), record(node, 0, 'MODIFIED', 'bob')) });
    out.push({ ts: T0 + h * 3600e6 + 600e6, apply: () => ((node.spec = {}), record(node, 0, 'MODIFIED', 'bob')) });
  }
  return out.sort((x, y) => x.ts - y.ts);
}

/** A Pod change: a healthy status touch, or the start or end of a crash of its first container. */
function churn(pod: Record<string, any>, ts: number): void {
  const cs = pod.status.containerStatuses[0];
  const iso = isoMicros(ts);
  if (cs.state.waiting) {
    cs.state = { running: { startedAt: iso } };
    cs.ready = true;
  } else if (rand() < CRASH_SHARE) {
    cs.restartCount++;
    cs.ready = false;
    cs.lastState = { terminated: { exitCode: 1, reason: 'Error', finishedAt: iso } };
    cs.state = { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container' } };
  } else {
    cs.imageID = `${cs.image}@sha256:${rv.toString(16).padStart(64, '0')}`;
  }
  const ready = cs.ready ? 'True' : 'False';
  for (const c of pod.status.conditions) if (c.type === 'Ready' || c.type === 'ContainersReady') Object.assign(c, { status: ready, lastTransitionTime: iso });
}

async function build(): Promise<number> {
  const w = workloads();
  for (const o of [...w.deploys, ...w.replicaSets, w.config, ...w.nodes]) await emit(record(o, T0, 'ADDED', 'admin'));
  const pods = Array.from({ length: PODS }, (_, i) => makePod({ ns: NS, name: `app${i % APPS}-7d9f8c-${i.toString(36).padStart(5, '0')}`, uid: `pod-${i}`, rv, rand, node: `node-${i % NODES}` }));
  for (const [i, p] of pods.entries()) await emit(record(p, T0 + i * 10, 'ADDED', 'system:serviceaccount:kube-system:replicaset-controller'));
  const others = dayEvents(w);
  let next = 0;
  for (let j = 0; j < RECORDS; j++) {
    const ts = T0 + 60e6 + Math.floor((j / RECORDS) * (DAY - 120e6));
    while (next < others.length && others[next]!.ts <= ts) {
      const r = others[next]!.apply();
      await emit({ ...r, ts: others[next]!.ts, observedAt: others[next]!.ts });
      next++;
    }
    const pod = pods[Math.floor(rand() * PODS)]!;
    churn(pod, ts);
    await emit(record(pod, ts, 'MODIFIED', 'system:node:node-1'));
  }
  await flush();
  return RECORDS + PODS;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const s = performance.now();
  const value = await fn();
  return { ms: performance.now() - s, value };
}

const built = await timed(build);
const queries = createHistoryQueries({ store });
const indexed = createHistoryQueries({ store, failures: { index } });
const from = T0;
const to = T0 + DAY;

// Baseline, same process: the 3,000-Pod list as of T.
const listMs: number[] = [];
for (let i = 0; i < 3; i++) listMs.push((await timed(() => queries.listAt({ viewer: TRUSTED_VIEWER, kind: 'pods', namespace: NS, at: to }))).ms);
const ask = (q: typeof queries) => timed(() => q.failures({ viewer: TRUSTED_VIEWER, from, to, namespace: NS }));
const indexMs: number[] = [];
let answer = (await ask(indexed)).value;
for (let i = 0; i < 5; i++) indexMs.push((await ask(indexed)).ms);
const scanMs: number[] = [];
for (let i = 0; i < SCANS; i++) {
  const r = await ask(queries);
  scanMs.push(r.ms);
  if (JSON.stringify(r.value) !== JSON.stringify(answer)) throw new Error('the scan and the index answered differently');
}
const spans = answer.items.length;
const suspects = answer.items.reduce((n, s) => n + s.suspects.length, 0);
const ranked = answer.items.filter((s) => s.suspects[0]).length;
answer = undefined as never;

// Where the scan's time goes: reading the Pods' revisions in the window, then detecting (CPU).
const keys = await keysLiving(store, { cluster: 'bench', gk: 'Pod', namespace: NS, from, to });
const read = await timed(() => mapLimit(keys, LIST_CONCURRENCY, (key) => revisionsAround(store, key, from, to, detectPod)));
const revisions = read.value.reduce((n, r) => n + r.length, 0);
const detect = await timed(async () => read.value.flatMap((revs) => byUid(revs).flatMap((u) => spansOf(u, detectPod, { until: to, thresholds: DEFAULT_THRESHOLDS }))));
await store.close();

const list = summary(listMs);
const fromIndex = summary(indexMs);
const scan = summary(scanMs);
const perRecordUs = (detect.ms * 1000) / revisions;
const lines = [
  `# Failure timeline benchmark (embedded store)`,
  ``,
  `Command: \`node bench/failures.ts --records ${RECORDS} --crash-share ${CRASH_SHARE} --scans ${SCANS}\` (Node ${process.version}, ${new Date().toISOString().slice(0, 10)}, 2-core shared machine).`,
  `Input: one namespace of ${PODS.toLocaleString()} Pods (5 KB each) on ${NODES} Nodes, ${APPS} Deployments with their ReplicaSets, a ConfigMap; ${RECORDS.toLocaleString()} Pod status changes over 24 h (${fmt(CRASH_SHARE * 100, 0)}% of them crashes), ${APPS * 3} image releases, 20 ConfigMap edits, 12 cordons; ${built.value.toLocaleString()} revisions stored in ${fmt(built.ms / 1000, 0)} s.`,
  ``,
  `| measure | result | target |`,
  `|---|---|---|`,
  `| failures from the index, whole day, namespace of ${PODS.toLocaleString()} Pods (5 runs) | p50 **${fmt(fromIndex.p50, 0)} ms**, max ${fmt(fromIndex.max, 0)} ms; ${spans.toLocaleString()} spans, ${suspects.toLocaleString()} suspects (${ranked.toLocaleString()} spans with one) | <= 1,000 ms |`,
  `| failures by a scan of the window, same question, same answer (${SCANS} runs) | p50 **${fmt(scan.p50, 0)} ms**, max ${fmt(scan.max, 0)} ms | |`,
  `| baseline: list of the ${PODS.toLocaleString()} Pods as of T (same process, 3 runs) | p50 ${fmt(list.p50, 0)} ms | |`,
  `| ratio index / list, scan / list | **${fmt(fromIndex.p50 / list.p50, 2)}**, ${fmt(scan.p50 / list.p50, 2)} | |`,
  `| scan's first part alone: reading the Pods' ${revisions.toLocaleString()} revisions in the window | ${fmt(read.ms, 0)} ms | |`,
  `| scan's second part alone: detection over them (CPU) | ${fmt(detect.ms, 0)} ms = ${fmt(perRecordUs, 1)} µs per revision | |`,
  `| index upkeep as records arrive (FailureIndex.observe) | ${fmt((observeMs * 1000) / built.value, 1)} µs per record = ${fmt((100 * observeMs) / appendMs, 1)}% of the store's append time | |`,
  ``,
];
const out = lines.join('\n');
process.stdout.write(out);
if (a.out) writeFileSync(a.out, out);
