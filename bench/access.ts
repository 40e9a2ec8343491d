/**
 * What read authorization costs (issue 12): the latency a Viewer's checks add to each query and
 * the decision cache's hit rate, on the embedded store, in one process against allow-all.
 *
 * History: N namespaces × P Pods (+ a ConfigMap and an Event each), one hour of changes.
 * Readers: S subjects issuing queries in turn, each request with a fresh Viewer (as HTTP makes
 * them); simulated time advances --gap ms per request, so the cache's 10 s TTL expires as it
 * would. Modes, interleaved round by round on the same queries (after an untimed warm-up run):
 *   allow-all    viewerFor(allowAllAccess): the baseline
 *   policy       viewerFor(CachedAccess(PolicyFileAccess)) granting every namespace by name,
 *                and Nodes and Namespaces cluster-wide (a cluster-wide list of Pods refused →
 *                one decision per namespace: the expensive path, same answers as allow-all)
 *   sar-1ms      the same behind a simulated SubjectAccessReview taking 1 ms per call, cached
 *                across requests, and with an empty cache on every request (the worst case)
 * With --kubeconfig, also times real SubjectAccessReviews against that cluster (what the 1 ms stands for).
 * Run: node bench/access.ts [--namespaces 40] [--pods 50] [--rounds 300] [--gap 50] [--kubeconfig FILE] [--out bench/results/access.md]
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { viewerFor, type Access, type Subject } from '../core/access.ts';
import { createHistoryQueries } from '../core/queries.ts';
import type { HistoryQueries } from '../core/query-types.ts';
import type { ChangeRecord } from '../core/record.ts';
import { allowAllAccess, CachedAccess, PolicyFileAccess } from '../history-api/auth/access.ts';
import { LmdbHistoryStore } from '../store/lmdb/lmdb-history-store.ts';
import { args, fmt, summary } from './lib/stats.ts';

const a = args(process.argv.slice(2));
const NAMESPACES = Number(a.namespaces ?? 40);
const PODS = Number(a.pods ?? 50);
const ROUNDS = Number(a.rounds ?? 300);
const GAP_MS = Number(a.gap ?? 50);
const SUBJECTS = 5;
const DIR = a.dir ?? join('bench', '.data', 'access');
const T0 = Date.parse('2026-03-01T10:00:00Z') * 1000;
const MIN = 60e6;

function* history(): Generator<ChangeRecord[]> {
  let rv = 1;
  const rec = (kind: string, resource: string, ns: string, name: string, ts: number, object: Record<string, unknown>, op: ChangeRecord['op'] = 'ADDED'): ChangeRecord => ({
    cluster: 'bench', apiVersion: 'v1', group: '', kind, resource, namespace: ns, name, uid: `${ns}/${kind}/${name}`, resourceVersion: String(++rv), op, ts, observedAt: ts, source: 'watch',
    object: { apiVersion: 'v1', kind, metadata: { name, ...(ns ? { namespace: ns } : {}), uid: `${ns}/${kind}/${name}`, resourceVersion: String(rv), labels: { app: 'web' } }, ...object },
  });
  yield [rec('Node', 'nodes', '', 'n1', T0, {})];
  for (let n = 0; n < NAMESPACES; n++) {
    const ns = `team-${n}`;
    const batch = [rec('Namespace', 'namespaces', '', ns, T0, {}), rec('ConfigMap', 'configmaps', ns, 'cfg', T0 + MIN, { data: { a: '1' } })];
    for (let p = 0; p < PODS; p++) {
      const spec = { nodeName: 'n1', volumes: [{ name: 'c', configMap: { name: 'cfg' } }], containers: [{ name: 'c', image: 'web:1' }] };
      batch.push(rec('Pod', 'pods', ns, `web-${p}`, T0 + MIN + p * 1e3, { spec, status: { phase: 'Pending' } }));
      batch.push(rec('Pod', 'pods', ns, `web-${p}`, T0 + (2 + (p % 50)) * MIN, { spec, status: { phase: 'Running' } }, 'MODIFIED'));
      batch.push(rec('Event', 'events', ns, `web-${p}.1`, T0 + (2 + (p % 50)) * MIN, { reason: 'Started', involvedObject: { kind: 'Pod', name: `web-${p}` } }));
    }
    yield batch;
  }
}

rmSync(DIR, { recursive: true, force: true });
mkdirSync(DIR, { recursive: true });
const store = LmdbHistoryStore.open({ path: DIR });
for (const batch of history()) await store.append(batch);
const queries = createHistoryQueries({ store });

const subjects: Subject[] = Array.from({ length: SUBJECTS }, (_, i) => ({ user: `reader-${i}`, groups: ['readers'] }));
const everyNamespace = new PolicyFileAccess({
  rules: [
    { groups: ['readers'], namespaces: Array.from({ length: NAMESPACES }, (_, n) => `team-${n}`) },
    { groups: ['readers'], namespaces: ['*'], resources: ['nodes', 'namespaces'] }, // so graphs answer as with allow-all
  ],
});
const slow = (inner: Access, ms: number): Access => ({ allowed: async (s, r) => { await sleep(ms); return inner.allowed(s, r); } });
let simulatedMs = 0;
const now = () => simulatedMs;
const modes: { name: string; access: Access; cache?: CachedAccess; fresh?: () => Access }[] = [
  { name: 'allow-all', access: allowAllAccess },
];
const policyCache = new CachedAccess(everyNamespace, { now });
modes.push({ name: 'policy (cached)', access: policyCache, cache: policyCache });
const sarCache = new CachedAccess(slow(everyNamespace, 1), { now });
modes.push({ name: 'sar-1ms (cached)', access: sarCache, cache: sarCache });
// The worst case: every decision of the request misses (a reader's first query, or one after 10 s idle).
modes.push({ name: 'sar-1ms (cold cache)', access: allowAllAccess, fresh: () => new CachedAccess(slow(everyNamespace, 1)) });

type Query = { name: string; run: (q: HistoryQueries, viewer: ReturnType<typeof viewerFor>, i: number) => Promise<unknown> };
const at = T0 + 55 * MIN;
const QUERIES: Query[] = [
  { name: 'object as of T', run: (q, viewer, i) => q.objectAt({ viewer, kind: 'pods', namespace: `team-${i % NAMESPACES}`, name: `web-${i % PODS}`, at }) },
  { name: `list Pods, all ${NAMESPACES} namespaces`, run: (q, viewer) => q.listAt({ viewer, kind: 'pods', at }) },
  { name: 'changes, 10 min, newest 500', run: (q, viewer, i) => q.changes({ viewer, from: T0 + (i % 40) * MIN, to: T0 + ((i % 40) + 10) * MIN, limit: 500 }) },
  { name: 'graph of a Pod, 2 hops', run: (q, viewer, i) => q.graph({ viewer, kind: 'pods', namespace: `team-${i % NAMESPACES}`, name: `web-${i % PODS}`, at, hops: 2 }) },
];

const samples = new Map<string, number[]>();
for (let round = 0; round < ROUNDS; round++) {
  const subject = subjects[round % SUBJECTS]!;
  const query = QUERIES[round % QUERIES.length]!;
  // Untimed first run (the store's pages warm for every mode alike), then each mode in a rotating order.
  await query.run(queries, viewerFor(allowAllAccess, subject), round);
  const turn = Math.floor(round / QUERIES.length) % modes.length;
  const order = [...modes.slice(turn), ...modes.slice(0, turn)];
  for (const m of order) {
    const viewer = viewerFor(m.fresh?.() ?? m.access, subject);
    const s = performance.now();
    await query.run(queries, viewer, round);
    const key = `${query.name}|${m.name}`;
    samples.set(key, [...(samples.get(key) ?? []), performance.now() - s]);
  }
  simulatedMs += GAP_MS;
  if (round % 50 === 0) process.stderr.write(`\rround ${round}/${ROUNDS}…`);
}
process.stderr.write('\n');

const rows: string[] = [];
for (const q of QUERIES) {
  const base = summary(samples.get(`${q.name}|allow-all`)!);
  for (const m of modes) {
    const s = summary(samples.get(`${q.name}|${m.name}`)!);
    const ratio = m.name === 'allow-all' ? '1.00' : fmt(s.p50 / base.p50);
    rows.push(`| ${q.name} | ${m.name} | ${fmt(s.p50, 3)} | ${fmt(s.p99, 3)} | ${ratio} | ${m.name === 'allow-all' ? '' : fmt(s.p50 - base.p50, 3)} |`);
  }
}
 /** p50/p99 of real SubjectAccessReview round trips, when a cluster is given. */
async function realReviews(): Promise<string> {
  if (!a.kubeconfig) return '';
  const { KubeConfig } = await import('@kubernetes/client-node');
  const { kubeSubjectAccessReview } = await import('../history-api/auth/kube-reviews.ts');
  const kc = new KubeConfig();
  kc.loadFromFile(a.kubeconfig);
  const review = kubeSubjectAccessReview(kc);
  const times: number[] = [];
  for (let i = 0; i < 200; i++) {
    const s = performance.now();
    await review({ user: `reader-${i % 5}`, groups: ['readers'], resourceAttributes: { verb: 'list', group: '', resource: 'pods', namespace: `team-${i % NAMESPACES}` } });
    times.push(performance.now() - s);
  }
  const t = summary(times);
  return `\nA real SubjectAccessReview against the local test control plane (kube-apiserver v1.34, loopback, RBAC), 200 in turn: p50 ${fmt(t.p50, 2)} ms, p99 ${fmt(t.p99, 2)} ms.\n`;
}

const hitRate = (c: CachedAccess) => `${fmt((100 * c.hits) / (c.hits + c.misses), 1)}% (${c.hits.toLocaleString()} hits, ${c.misses.toLocaleString()} misses)`;
const command = `node bench/access.ts ${process.argv.slice(2).join(' ')}`.trim();
const report = `# Read authorization: added latency and decision-cache hit rate

Command: \`${command}\` (Node ${process.version}, ${new Date().toISOString().slice(0, 10)}).
History: ${NAMESPACES} namespaces × ${PODS} Pods (+ Events, a ConfigMap each), embedded store. ${ROUNDS} requests by ${SUBJECTS}
subjects in turn, one every ${GAP_MS} ms of simulated time (the cache's clock), each with a fresh Viewer; every
mode runs the same request in the same round after one untimed warm-up run, in a rotating order. The policy grants every namespace by name (and Nodes and
Namespaces cluster-wide), so a list across namespaces takes the expensive path (cluster-wide \`list\` refused, then one decision per
namespace) and returns the same answer as allow-all.

| query | mode | p50 ms | p99 ms | p50 ratio to allow-all | p50 added ms |
|---|---|---|---|---|---|
${rows.join('\n')}

Decision cache (TTL 10 s allowed, 2 s refused): policy ${hitRate(policyCache)}; sar-1ms ${hitRate(sarCache)}.
${await realReviews()}`;
process.stdout.write(report);
if (a.out) writeFileSync(a.out, report);
await store.close();
rmSync(DIR, { recursive: true, force: true });
