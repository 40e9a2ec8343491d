/**
 * The revision in force at T from one key (issue 16, §11): A/B of two embedded stores in one
 * process, fed the same audit batches interleaved with a bare JSON.parse of the same input:
 *   A: window  — stamped format v5 (no order marks are written; every read takes the last
 *               REORDER_WINDOW rev keys stored by T: the path before this change);
 *   B: one key — the current format (v6): the writer keeps order marks (store/lmdb/order.ts), and
 *               an unmarked name reads the newest key stored by T alone.
 * Both keep slim rows. Then, interleaved at the same random times on A and B:
 *   - summaryStatesAt of the 3,000 Pods of namespace `big` alone (the store call the summary
 *     list makes: finding the revision in force, reading slim rows);
 *   - the summary list to the answer text of GET /v1/objects?view=summary (listAt `summary`);
 *   - the full list to the answer text of GET /v1/objects (revisionAt for every Pod);
 *   - objects as of T (revisionAt), random Pods and times.
 * Every answer of B is compared with A's (the run fails if one differs). Read the ratios B ÷ A:
 * wall times on the shared machine swing between runs; CPU time (process.cpuUsage, every thread)
 * does not count waiting for a core.
 * `--mark-all` marks every name of B after ingest, to the end of time (as if every object had just been stored out of order):
 * B then reads the window too, after its first key and the mark (the cost of a marked name).
 * Run: node bench/in-force.ts [--records 30000] [--pods 3000] [--lists 30] [--objects 10000] [--mark-all] [--out file]
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { TRUSTED_VIEWER } from '../core/access.ts';
import { createHistoryQueries } from '../core/queries.ts';
import { all, REORDER_WINDOW } from '../core/scope.ts';
import type { ObjectKey } from '../core/record.ts';
import { presentListAt } from '../history-api/present.ts';
import { AuditSink } from '../ingester/audit/audit-sink.ts';
import { LMDB_FORMAT, LmdbHistoryStore, stampFormat } from '../store/lmdb/lmdb-history-store.ts';
import { prng, workload } from './lib/generate.ts';
import { cpuMs as cpu, ingestInterleaved } from './lib/ingest-ab.ts';
import { args, fmt, lmdbBytes, storeBytes, summary } from './lib/stats.ts';

const a = args(process.argv.slice(2));
const RECORDS = Number(a.records ?? 30_000);
const PODS = Number(a.pods ?? 3_000);
const LISTS = Number(a.lists ?? 30);
const OBJECTS = Number(a.objects ?? 10_000);
const BIG = Math.min(3000, PODS);
const SPAN = 24 * 3600e6;
const DIR = a.dir ?? join('bench', '.data', 'in-force');

rmSync(DIR, { recursive: true, force: true });
const STORES = ['window', 'oneKey'] as const;
type Which = (typeof STORES)[number];
const stores = {} as Record<Which, LmdbHistoryStore>;
for (const w of STORES) {
  const path = join(DIR, w);
  mkdirSync(path, { recursive: true });
  // An empty store stamped with the previous format: the store keeps writing it as it is.
  if (w === 'window') await stampFormat(path, 'kubetime.lmdb/v5');
  stores[w] = LmdbHistoryStore.open({ path });
}
const sink = new AuditSink({ writer: { write: async () => undefined }, clock: { now: () => Date.now() * 1000 }, cluster: 'bench' });

let records = 0;
const ingestCpu: Record<Which | 'parse', number> = { window: 0, oneKey: 0, parse: 0 };
let t0 = 0;
let tEnd = 0;
let i = 0;
for (const { text, count, lastMicros } of workload({ pods: PODS, records: RECORDS, namespaces: 47, bigNamespacePods: BIG, seed: 7, spanMicros: SPAN }, 400)) {
  await ingestInterleaved(i, text, stores, (items) => sink.convert(items).records, ingestCpu);
  records += count;
  if (!t0) t0 = lastMicros;
  tEnd = lastMicros;
  if (i++ % 25 === 0) process.stderr.write(`\r${records.toLocaleString()} records…`);
}
process.stderr.write('\n');
if (a['mark-all']) {
  await stores.oneKey.dbs.root.transaction(() => {
    for (const k of stores.oneKey.dbs.life.getKeys({})) stores.oneKey.dbs.ord!.put(k.slice(0, 4), Number.MAX_SAFE_INTEGER);
  });
}
const names = stores.oneKey.dbs.life.getKeysCount();
const pods = (await all(stores.window.lifetimes({ cluster: 'bench', gk: 'Pod' }))).map((l) => l.key);
const marked = stores.oneKey.dbs.ord!.getKeysCount();

const PATHS = ['states', 'summary', 'full'] as const;
type Path = (typeof PATHS)[number];
type Series = Record<Which, { ms: number[]; cpu: number[] }>;
const series = (): Series => ({ window: { ms: [], cpu: [] }, oneKey: { ms: [], cpu: [] } });
const lists: Record<Path, Series> = { states: series(), summary: series(), full: series() };
const queries = { window: createHistoryQueries({ store: stores.window }), oneKey: createHistoryQueries({ store: stores.oneKey }) };
/** Times `run` on A and B, alternating which goes first; returns both answers. */
async function ab<T>(s: Series, i: number, run: (w: Which) => Promise<T>): Promise<Record<Which, T>> {
  const out = {} as Record<Which, T>;
  for (const w of i % 2 ? [...STORES].reverse() : STORES) {
    const t = performance.now();
    const c = cpu();
    out[w] = await run(w);
    s[w].cpu.push(cpu() - c);
    s[w].ms.push(performance.now() - t);
  }
  return out;
}
const rand = prng(99);
let listed = 0;
for (let i = 0; i < LISTS; i++) {
  const at = tEnd - Math.floor(rand() * (tEnd - t0) * 0.9);
  const keys: ObjectKey[] = (await all(stores.window.lifetimes({ cluster: 'bench', gk: 'Pod', namespace: 'big', aliveAt: at }))).map((l) => l.key);
  listed = keys.length;
  const states = await ab(lists.states, i, (w) => stores[w].summaryStatesAt(keys, at, REORDER_WINDOW));
  if (JSON.stringify(states.window) !== JSON.stringify(states.oneKey)) throw new Error(`summaryStatesAt differs at ${at}`);
  for (const path of ['summary', 'full'] as const) {
    const texts = await ab(lists[path], i, async (w) => {
      const answer = await queries[w].listAt({ viewer: TRUSTED_VIEWER, kind: 'pods', namespace: 'big', at, limit: 5000, ...(path === 'summary' ? { summary: true } : {}) });
      return JSON.stringify(presentListAt(answer, { view: path }));
    });
    if (texts.window !== texts.oneKey) throw new Error(`the ${path} lists differ at ${at}`);
  }
}
// Objects as of T: random Pods and times, in blocks of 100 timed together (one call is microseconds).
const objects = series();
for (let i = 0; i < OBJECTS / 100; i++) {
  const picks = Array.from({ length: 100 }, () => {
    return { key: pods[Math.floor(rand() * pods.length)]!, at: t0 + Math.floor(rand() * (tEnd - t0)) };
  });
  const got = await ab(objects, i, async (w) => {
    const out = [];
    for (const q of picks) out.push(await stores[w].revisionAt(q.key, q.at, REORDER_WINDOW));
    // observedAt is each store's own conversion time: the rest must be equal.
    return out.map((r) => r && { ...r, observedAt: 0 });
  });
  if (JSON.stringify(got.window) !== JSON.stringify(got.oneKey)) throw new Error('objects as of T differ');
}
const bytes = Object.fromEntries(STORES.map((w) => [w, storeBytes(stores[w].dbs)])) as Record<Which, number>;
const ordBytes = lmdbBytes(stores.oneKey.dbs.ord!);
for (const w of STORES) await stores[w].close();
rmSync(DIR, { recursive: true, force: true });

const mean = (xs: number[]) => xs.reduce((n, x) => n + x, 0) / xs.length;
const row = (label: string, s: Series, per = 1, digits = 1) => {
  const w = { a: summary(s.window.ms), b: summary(s.oneKey.ms), ca: summary(s.window.cpu), cb: summary(s.oneKey.cpu) };
  return `| ${label} | ${fmt(w.a.p50 / per, digits)} / ${fmt(w.a.p99 / per, digits)} | ${fmt(w.b.p50 / per, digits)} / ${fmt(w.b.p99 / per, digits)} | ${fmt(w.b.p50 / w.a.p50, 3)} / ${fmt(w.b.p99 / w.a.p99, 3)} | ${fmt(w.ca.p50 / per, digits)} / ${fmt(w.cb.p50 / per, digits)} | ${fmt(mean(s.oneKey.cpu) / mean(s.window.cpu), 3)} |`;
};
const lines = [
  `Command: \`node bench/in-force.ts --records ${RECORDS} --pods ${PODS} --lists ${LISTS} --objects ${OBJECTS}${a['mark-all'] ? ' --mark-all' : ''}\` (Node ${process.version}, ${new Date().toISOString()}, 2-core shared machine). B's format: ${LMDB_FORMAT}.`,
  `Stores: the same ${records.toLocaleString()} audit records of ${PODS.toLocaleString()} Pods (namespace \`big\` ${BIG.toLocaleString()} Pods), interleaved batch by batch with a bare JSON.parse, to A (window: format v5, no order marks) and B (one key: v6). Order marks in B: ${marked.toLocaleString()} of ${names.toLocaleString()} object names. Lists: ${listed.toLocaleString()} Pods each, ${LISTS} random times, A and B alternating first; objects: ${OBJECTS.toLocaleString()} random Pods and times in blocks of 100. Every answer of B equalled A's.`,
  ``,
  `| measure | A: window, wall p50 / p99 ms | B: one key, wall p50 / p99 ms | wall B ÷ A (p50 / p99) | CPU ms p50, A / B | CPU B ÷ A (mean) |`,
  `|---|---|---|---|---|---|`,
  row(`summaryStatesAt of ${listed.toLocaleString()} Pods (the store call alone)`, lists.states),
  row('summary list, answer text (view=summary)', lists.summary),
  row('full list, answer text (revisionAt each Pod)', lists.full),
  row('object as of T (revisionAt), µs per object', objects, 100 / 1000, 1),
  ``,
  `| ingest and storage | A: window (v5) | B: one key (v6) | B ÷ A |`,
  `|---|---|---|---|`,
  `| CPU ms per record ingested (every thread; bare JSON.parse ${fmt(ingestCpu.parse / records, 4)}) | ${fmt(ingestCpu.window / records, 4)} | ${fmt(ingestCpu.oneKey / records, 4)} | ${fmt(ingestCpu.oneKey / ingestCpu.window, 3)} |`,
  `| stored bytes, all LMDB pages (B's order marks: ${fmt(ordBytes / 1024, 1)} KiB) | ${fmt(bytes.window / 2 ** 20, 1)} MiB | ${fmt(bytes.oneKey / 2 ** 20, 1)} MiB | ${fmt(bytes.oneKey / bytes.window, 3)} |`,
  ``,
];
const out = lines.join('\n');
process.stdout.write(out);
if (a.out) writeFileSync(a.out, out);
