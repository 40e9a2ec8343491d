/**
 * Where a Kubernetes face Table of a namespace as of T goes (issue 16, the side-by-side's
 * `kubectl get` row): on an embedded store a benchmark left (bench/history.ts keeps its --dir),
 * the 3,000-Pod namespace `big` at random times, each step timed apart, the text cache warm (the
 * list asked once before) and cold:
 *   query:     listAt({ text: 'tableRow' }) (keys alive, the revision in force, each row's text);
 *   parse:     each row's text split (core/present/slim.ts tableRowOf: its slim object parsed,
 *              its metadata's JSON text kept as it is);
 *   table:     kubeTableText (cells, wide cells, the Table's text with each row's metadata spliced in:
 *              what the face sends).
 * Run: node bench/table-anatomy.ts --dir bench/.data/h60k [--lists 10] [--namespace big] [--cluster C --at T]
 * (--at: one RFC 3339 time, every list at it, e.g. on the data dir apiserver-side-by-side.ts --keep-data left)
 */
import { performance } from 'node:perf_hooks';
import { TRUSTED_VIEWER } from '../core/access.ts';
import { createHistoryQueries } from '../core/queries.ts';
import { parseTime } from '../core/time.ts';
import { tableRowOf } from '../core/present/slim.ts';
import { kubeTableText } from '../history-api/kube-face/table.ts';
import { LmdbHistoryStore } from '../store/lmdb/lmdb-history-store.ts';
import { prng } from './lib/generate.ts';
import { args, fmt, summary } from './lib/stats.ts';

const a = args(process.argv.slice(2));
const DIR = a.dir ?? 'bench/.data/history';
const LISTS = Number(a.lists ?? 10);
const NAMESPACE = a.namespace ?? 'big';
const AT = a.at === undefined ? undefined : parseTime(a.at, 'at', Date.now() * 1000);

const store = LmdbHistoryStore.open({ path: DIR });
const queries = createHistoryQueries({ store });
const clusters = await store.clusters();
const { name: cluster, firstSeen, lastSeen } = clusters.find((c) => a.cluster === undefined || c.name === a.cluster)!;
const rand = prng(11);
const STEPS = ['query', 'parse', 'table'] as const;
type Step = (typeof STEPS)[number];
const samples = { cold: new Map<Step, number[]>(), warm: new Map<Step, number[]>() };
let rowsListed = 0;
let bytes = 0;

async function timed<T>(into: Map<Step, number[]>, step: Step, run: () => T | Promise<T>): Promise<T> {
  const s = performance.now();
  const out = await run();
  const wall = performance.now() - s;
  into.set(step, [...(into.get(step) ?? []), wall]);
  return out;
}

async function table(at: number, into: Map<Step, number[]>): Promise<void> {
  const list = await timed(into, 'query', () => queries.listAt({ viewer: TRUSTED_VIEWER, cluster, kind: 'pods', namespace: NAMESPACE, at, limit: 5000, text: 'tableRow' }));
  if (!list.texts) throw new Error('the store answered no row texts');
  const rows = await timed(into, 'parse', () => list.texts!.map(tableRowOf));
  const text = await timed(into, 'table', () => kubeTableText(rows, { at, kind: 'Pod', includeObject: 'Metadata' }));
  rowsListed = rows.length;
  bytes = text.length;
}

for (let i = 0; i < LISTS; i++) {
  const at = AT ?? lastSeen - Math.floor(rand() * (lastSeen - firstSeen) * 0.5);
  store.clearTextCache();
  await table(at, samples.cold);
  await table(at, samples.warm);
}
await store.close();

const row = (step: Step) => {
  const c = summary(samples.cold.get(step)!);
  const w = summary(samples.warm.get(step)!);
  return `| ${step} | ${fmt(c.p50, 1)} | ${fmt(w.p50, 1)} |`;
};
const total = (m: Map<Step, number[]>) => summary(Array.from({ length: LISTS }, (_, i) => STEPS.reduce((n, s) => n + m.get(s)![i]!, 0))).p50;
process.stdout.write([
  `Command: \`node bench/table-anatomy.ts ${process.argv.slice(2).join(' ')}\` (Node ${process.version}, ${new Date().toISOString()}). A Table of ${rowsListed.toLocaleString()} Pods, ${fmt(bytes / 2 ** 20, 2)} MiB, includeObject=Metadata, at ${AT === undefined ? `${LISTS} random times` : `${a.at}, ${LISTS} times`}: cold (text cache emptied), then warm (asked again).`,
  '',
  '| step | cold, wall p50 ms | warm, wall p50 ms |',
  '|---|---|---|',
  ...STEPS.map(row),
  `| all (p50 of the sums) | ${fmt(total(samples.cold), 1)} | ${fmt(total(samples.warm), 1)} |`,
  '',
].join('\n'));
