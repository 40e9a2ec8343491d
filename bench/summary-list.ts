/**
 * Summary lists as of T from slim rows (issue 16, deliverable 1): one embedded store, one
 * namespace of Pods with status churn; then, interleaved at the same random times, the namespace
 * listed three ways, each to the answer text GET /v1/objects sends (history-api/present.ts):
 *   slim:    view=summary read from slim rows (listAt `summary`, LmdbHistoryStore.summaryStatesAt);
 *   rebuild: view=summary from every object rebuilt (the path before slim rows);
 *   full:    view=full (every object rebuilt, shown as manifests).
 * The slim and rebuild answers are compared on every list (the run fails if they differ).
 * Ingest and stored bytes: the same batches go, interleaved, to a store without slim rows
 * (`slimRows: false`) and to one with them; CPU per record, and bytes in all and per status-only
 * revision as history.ts counts them (all LMDB pages). The lists run on the store with slim rows.
 * Run: node bench/summary-list.ts [--records 30000] [--pods 3000] [--lists 30] [--only slim|rebuild|full] [--out file]
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { TRUSTED_VIEWER } from '../core/access.ts';
import { createHistoryQueries } from '../core/queries.ts';
import { presentListAt } from '../history-api/present.ts';
import { AuditSink } from '../ingester/audit/audit-sink.ts';
import { LmdbHistoryStore } from '../store/lmdb/lmdb-history-store.ts';
import { eachBatch, prng, workload } from './lib/generate.ts';
import { args, fmt, lmdbBytes, storeBytes, summary } from './lib/stats.ts';
import { cpuMs as cpu, ingestInterleaved } from './lib/ingest-ab.ts';

const a = args(process.argv.slice(2));
const RECORDS = Number(a.records ?? 30_000);
const PODS = Number(a.pods ?? 3_000);
const LISTS = Number(a.lists ?? 30);
const BIG = Math.min(3000, PODS);
const SPAN = 24 * 3600e6;
const DIR = a.dir ?? join('bench', '.data', 'summary-list');

rmSync(DIR, { recursive: true, force: true });
/** A: no slim rows (as before); B: slim rows (the default). The same batches go to both, interleaved. */
const STORES = ['without', 'with'] as const;
type Which = (typeof STORES)[number];
const stores = {} as Record<Which, LmdbHistoryStore>;
for (const w of STORES) {
  mkdirSync(join(DIR, w), { recursive: true });
  stores[w] = LmdbHistoryStore.open({ path: join(DIR, w), slimRows: w === 'with' });
}
const store = stores.with;
const sink = new AuditSink({ writer: { write: async () => undefined }, clock: { now: () => Date.now() * 1000 }, cluster: 'bench' });
const dbBytes = (s: LmdbHistoryStore) => {
  return { all: storeBytes(s.dbs), sum: lmdbBytes(s.dbs.sum!) };
};

let records = 0;
let churnRaw = 0;
const afterCreate = {} as Record<Which, { all: number; sum: number }>;
const ingestCpu: Record<Which | 'parse', number> = { without: 0, with: 0, parse: 0 };
let t0 = 0;
let tEnd = 0;
const gen = workload({ pods: PODS, records: RECORDS, namespaces: 47, bigNamespacePods: BIG, seed: 7, spanMicros: SPAN }, 400);
await eachBatch(gen, async (batch, i) => {
  const { text, count, lastMicros } = batch;
  const items = (JSON.parse(text) as { items: { responseObject: unknown }[] }).items;
  if (records >= PODS) churnRaw += items.reduce((n, e) => n + JSON.stringify(e.responseObject).length, 0);
  await ingestInterleaved(i, text, stores, (items) => sink.convert(items).records, ingestCpu);
  if (records < PODS && records + count >= PODS) for (const w of STORES) afterCreate[w] = dbBytes(stores[w]);
  records += count;
  if (!t0) t0 = lastMicros;
  tEnd = lastMicros;
  if (i % 25 === 0) process.stderr.write(`\r${records.toLocaleString()} records…`);
});
process.stderr.write('\n');
const total = { without: dbBytes(stores.without), with: dbBytes(stores.with) };
const churn = records - PODS;

const queries = createHistoryQueries({ store });
const ALL_PATHS = ['slim', 'rebuild', 'full'] as const;
type Path = (typeof ALL_PATHS)[number];
/** `--only slim` times one path alone (for a CPU profile: node --cpu-prof). */
const PATHS: readonly Path[] = a.only ? [a.only as Path] : ALL_PATHS;
const ms: Record<Path, number[]> = { slim: [], rebuild: [], full: [] };
const cpuMs: Record<Path, number[]> = { slim: [], rebuild: [], full: [] };
const answerBytes: Record<Path, number> = { slim: 0, rebuild: 0, full: 0 };
let listed = 0;
const rand = prng(99);
for (let i = 0; i < LISTS; i++) {
  const at = tEnd - Math.floor(rand() * (tEnd - t0) * 0.9);
  const texts = {} as Record<Path, string>;
  const order = PATHS.map((_, k) => PATHS[(i + k) % PATHS.length]!);
  for (const path of order) {
    const s = performance.now();
    const c = cpu();
    const answer = await queries.listAt({ viewer: TRUSTED_VIEWER, kind: 'pods', namespace: 'big', at, limit: 5000, ...(path === 'slim' ? { summary: true } : {}) });
    texts[path] = JSON.stringify(presentListAt(answer, { view: path === 'full' ? 'full' : 'summary' }));
    cpuMs[path].push(cpu() - c);
    ms[path].push(performance.now() - s);
    answerBytes[path] = texts[path].length;
    listed = answer.items.length;
  }
  if (!a.only && texts.slim !== texts.rebuild) throw new Error(`the slim and rebuilt summary lists differ at ${at}`);
}
for (const w of STORES) await stores[w].close();
rmSync(DIR, { recursive: true, force: true });

const st = Object.fromEntries(ALL_PATHS.map((p) => [p, summary(ms[p])])) as Record<Path, ReturnType<typeof summary>>;
const sc = Object.fromEntries(ALL_PATHS.map((p) => [p, summary(cpuMs[p])])) as Record<Path, ReturnType<typeof summary>>;
const mean = (xs: number[]) => xs.reduce((n, x) => n + x, 0) / xs.length;
const perChurn = (w: Which) => (total[w].all - afterCreate[w].all) / churn;
const rawPer = churnRaw / churn;
const pct = (b: number) => `${fmt((100 * b) / rawPer, 1)}%`;
const row = (p: Path, label: string) =>
  `| ${label} | ${fmt(st[p].p50, 1)} / ${fmt(st[p].p99, 1)} | ${fmt(sc[p].p50, 1)} / ${fmt(mean(cpuMs[p]), 1)} | ${fmt(st[p].p50 / st.rebuild.p50, 3)} / ${fmt(st[p].p99 / st.rebuild.p99, 3)} | ${fmt(sc[p].p50 / sc.rebuild.p50, 3)} | ${fmt(answerBytes[p] / Math.max(listed, 1), 0)} |`;
const lines = [
  `Command: \`node bench/summary-list.ts --records ${RECORDS} --pods ${PODS} --lists ${LISTS}\` (Node ${process.version}, ${new Date().toISOString()}, 2-core shared machine).`,
  `Stores: the same ${records.toLocaleString()} audit records of ${PODS.toLocaleString()} Pods (namespace \`big\` ${BIG.toLocaleString()} Pods) appended to a store without slim rows (A, \`slimRows: false\`) and one with them (B, the default), interleaved batch by batch with a bare JSON.parse. Lists on B: ${listed.toLocaleString()} Pods each, ${LISTS} random times, the three paths interleaved, each to the answer text of GET /v1/objects.`,
  ``,
  `| path | wall p50 / p99 ms | CPU ms p50 / mean | wall ÷ rebuild (p50 / p99) | CPU ÷ rebuild (p50) | answer bytes per Pod |`,
  `|---|---|---|---|---|---|`,
  ...([['slim', 'summary from slim rows (new)'], ['rebuild', 'summary from rebuilt objects (before)'], ['full', 'full view (rebuilt objects)']] as const).filter(([p]) => PATHS.includes(p)).map(([p, label]) => row(p, label)),
  ``,
  `| ingest and storage | A: without slim rows | B: with slim rows | B ÷ A |`,
  `|---|---|---|---|`,
  `| CPU ms per record ingested (every thread; bare JSON.parse ${fmt(ingestCpu.parse / records, 4)}) | ${fmt(ingestCpu.without / records, 4)} | ${fmt(ingestCpu.with / records, 4)} | ${fmt(ingestCpu.with / ingestCpu.without, 3)} |`,
  `| ratio by CPU: JSON.parse ÷ ingest | ${fmt(ingestCpu.parse / ingestCpu.without, 3)} | ${fmt(ingestCpu.parse / ingestCpu.with, 3)} | |`,
  `| stored bytes, all LMDB pages (B's slim rows: ${fmt(total.with.sum / 2 ** 20, 1)} MiB) | ${fmt(total.without.all / 2 ** 20, 1)} MiB | ${fmt(total.with.all / 2 ** 20, 1)} MiB | ${fmt(total.with.all / total.without.all, 3)} |`,
  `| per status-only revision (raw JSON ${fmt(rawPer, 0)} B) | ${fmt(perChurn('without'), 0)} B = ${pct(perChurn('without'))} | ${fmt(perChurn('with'), 0)} B = **${pct(perChurn('with'))}** (slim rows ${fmt((total.with.sum - afterCreate.with.sum) / churn, 0)} B = ${pct((total.with.sum - afterCreate.with.sum) / churn)}) | ${fmt(perChurn('with') / perChurn('without'), 3)} |`,
  ``,
];
const out = lines.join('\n');
process.stdout.write(out);
if (a.out) writeFileSync(a.out, out);
