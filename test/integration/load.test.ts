/**
 * A bounded load test on loopback (issue #12): the graph of a node with 10k Pods and an unlimited
 * list of 10k Pods and 20k ConfigMaps run at once while /healthz keeps answering, and RSS stays
 * under the chart's memory limit (deploy/helm/kubetime/values.yaml: 2Gi). It asserts that every
 * probe is answered, not how fast (no timed assertions): the latencies are printed, and written to
 * bench/results/load.md with the command that made them when KUBETIME_RECORD_LOAD=1:
 *
 *   KUBETIME_RECORD_LOAD=1 KUBETIME_SERVICES=none npx vitest run test/integration/load.test.ts
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHistoryQueries } from '../../core/queries.ts';
import type { ChangeRecord } from '../../core/record.ts';
import { buildServer, type HistoryServer } from '../../history-api/server.ts';
import { LmdbHistoryStore } from '../../store/lmdb/lmdb-history-store.ts';

const T0 = Date.UTC(2026, 0, 10, 10) * 1000;
const PODS = 10_000;
const CONFIGMAPS = 20_000;
const CHART_MEMORY_LIMIT = 2 * 1024 ** 3;

function record(kind: string, resource: string, namespace: string, name: string, i: number, object: Record<string, unknown>): ChangeRecord {
  return {
    cluster: 'load', apiVersion: 'v1', group: '', kind, resource, namespace, name, uid: `${kind}-${i}`, resourceVersion: String(i + 1),
    op: 'ADDED', ts: T0 + i, observedAt: T0 + i, source: 'watch',
    object: { apiVersion: 'v1', kind, metadata: { name, ...(namespace ? { namespace } : {}), uid: `${kind}-${i}`, resourceVersion: String(i + 1), labels: { app: `a${i % 100}` } }, ...object },
  };
}

function* records(): Generator<ChangeRecord> {
  yield record('Node', 'nodes', '', 'n1', 0, { spec: {} });
  for (let i = 0; i < PODS; i++) {
    yield record('Pod', 'pods', `ns${i % 10}`, `p${i}`, i + 1, { spec: { nodeName: 'n1', containers: [{ name: 'app', image: 'app:1', env: [{ name: 'X', value: 'y'.repeat(200) }] }] }, status: { phase: 'Running' } });
  }
  for (let i = 0; i < CONFIGMAPS; i++) yield record('ConfigMap', 'configmaps', `ns${i % 10}`, `cm${i}`, PODS + 1 + i, { data: { k: 'v'.repeat(300) } });
}

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;

describe('load on loopback (bounded)', () => {
  let dir: string;
  let store: LmdbHistoryStore;
  let app: HistoryServer;
  let base: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubetime-load-'));
    store = LmdbHistoryStore.open({ path: dir });
    let batch: ChangeRecord[] = [];
    for (const r of records()) {
      batch.push(r);
      if (batch.length === 2000) {
        await store.append(batch);
        batch = [];
      }
    }
    await store.append(batch);
    app = buildServer({ queries: createHistoryQueries({ store }), clock: { now: () => T0 + 3_600_000_000 }, logger: pino({ level: 'silent' }) as unknown as FastifyBaseLogger });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  }, 300_000);

  afterAll(async () => {
    await app?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers /healthz while a 10k-Pod node graph and unlimited lists run, and RSS stays under the chart limit', async () => {
    const at = encodeURIComponent(new Date((T0 + 3_600_000_000) / 1000).toISOString());
    const heavy = [
      `/v1/graph?kind=Node&name=n1&at=${at}&hops=2`,
      `/v1/objects?kind=pods&at=${at}`,
      `/v1/objects?kind=configmaps&at=${at}`,
      `/v1/diff?kind=configmaps&from=${encodeURIComponent(new Date(T0 / 1000).toISOString())}&to=${at}`,
    ];
    const durations: Record<string, number> = {};
    let heavyDone = false;
    let firstDone = Infinity;
    let lastDone = 0;
    const started = performance.now();
    const work = Promise.all(heavy.map(async (path) => {
      const t = performance.now();
      const res = await fetch(base + path);
      await res.arrayBuffer();
      firstDone = Math.min(firstDone, performance.now());
      lastDone = Math.max(lastDone, performance.now());
      durations[path.split('?')[0]! + (path.includes('pods') ? ' pods' : path.includes('configmaps') ? ' configmaps' : '')] = performance.now() - t;
      return res.status;
    })).finally(() => (heavyDone = true));
    const probes: number[] = [];
    const answeredAt: number[] = [];
    let peakRss = process.memoryUsage().rss;
    while (!heavyDone) {
      const t = performance.now();
      const res = await fetch(`${base}/healthz`);
      expect(res.status).toBe(200);
      await res.json();
      probes.push(performance.now() - t);
      answeredAt.push(performance.now());
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(await work).toEqual([200, 200, 200, 200]);
    const total = performance.now() - started;
    // /healthz was answered while heavy requests were still running (before the last of them
    // finished), not only once they all had: they reach the server before the first probe, and
    // without pacing each runs to its end before the event loop turns, so a probe waits for all
    // four. (The lists answer from text now and may finish before the first probe does, so the
    // first of them to finish no longer marks "still running".)
    expect(answeredAt.filter((t) => t < lastDone).length).toBeGreaterThan(0);
    expect(peakRss).toBeLessThan(CHART_MEMORY_LIMIT);
    const table = [
      '# Loopback load: /healthz while heavy queries run',
      '',
      'Command: `KUBETIME_RECORD_LOAD=1 KUBETIME_SERVICES=none npx vitest run test/integration/load.test.ts` (Node 24,',
      `${new Date().toISOString().slice(0, 10)}). Embedded store with one Node, ${PODS} Pods on it and ${CONFIGMAPS} ConfigMaps in 10 namespaces;`,
      'four requests at once: the graph of the Node (hops 2), the unlimited lists of Pods and of ConfigMaps, and the scope',
      'diff of every ConfigMap; meanwhile /healthz is probed in turn (25 ms apart) until they finish.',
      '',
      '| measure | value |',
      '|---|---|',
      ...Object.entries(durations).map(([k, v]) => `| ${k} | ${Math.round(v)} ms |`),
      `| all four | ${Math.round(total)} ms |`,
      `| /healthz answered during them | ${probes.length} (${answeredAt.filter((t) => t < firstDone).length} before the first of them finished, ${answeredAt.filter((t) => t < lastDone).length} before the last) |`,
      `| /healthz latency p50 / p95 / max | ${Math.round(quantile(probes, 0.5))} / ${Math.round(quantile(probes, 0.95))} / ${Math.round(Math.max(...probes))} ms |`,
      `| peak RSS (test process) | ${Math.round(peakRss / 1024 ** 2)} MiB (chart limit 2048 MiB) |`,
      `| machine load average (1 min) at the end | ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores |`,
      '',
      'The machine is shared: with a load average far above its cores, every figure is inflated by about that factor.',
      'Before this change the same heavy requests held the event loop for their whole duration (17–32 s per request',
      'in the issue), so /healthz got no answer until they finished.',
      '',
    ].join('\n');
    console.log(table);
    if (process.env.KUBETIME_RECORD_LOAD === '1') writeFileSync(join('bench', 'results', 'load.md'), table);
  }, 300_000);
});
