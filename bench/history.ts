/**
 * Benchmark of the history core on the embedded store (issue 2):
 *   audit ingest (records/s, MB/s, and the ratio to bare JSON.parse of the same input, measured
 *   interleaved in this process), object-as-of-T latency, namespace-list-as-of-T latency for a
 *   3,000-Pod namespace, and stored bytes per revision for status-only churn.
 * Run: node bench/history.ts [--records 1000000] [--pods 50000] [--out bench/results/history.md]
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createHistoryQueries } from '../core/queries.ts';
import { TRUSTED_VIEWER } from '../core/access.ts';
import { queriesAs } from '../core/viewed-queries.ts';
import { presentListAt } from '../history-api/present.ts';
import { AuditSink } from '../ingester/audit/audit-sink.ts';
import { LmdbHistoryStore } from '../store/lmdb/lmdb-history-store.ts';
import { eachBatch, prng, workload } from './lib/generate.ts';
import { args, fmt, lmdbBytes, storeBytes, summary } from './lib/stats.ts';
import { spent, timed } from './lib/timed.ts';

const a = args(process.argv.slice(2));
const RECORDS = Number(a.records ?? 1_000_000);
const PODS = Number(a.pods ?? 50_000);
const BIG = Math.min(3000, PODS);
const DIR = a.dir ?? join('bench', '.data', 'history');
const SPAN = 24 * 3600e6;

rmSync(DIR, { recursive: true, force: true });
mkdirSync(DIR, { recursive: true });
const store = LmdbHistoryStore.open({ path: DIR });
const sink = new AuditSink({ writer: { write: async (r) => void (await store.append(r)) }, clock: { now: () => Date.now() * 1000 }, cluster: 'bench' });
const storedBytes = () => storeBytes(store.dbs);

// Wall and CPU of every thread (lmdb's too): on a loaded machine wall time mostly measures waiting.
const parse = spent();
const ingest = spent();
let inputBytes = 0;
let records = 0;
let rawObjectBytes = 0;
let churnRawBytes = 0;
let bytesAfterCreate = 0;
let t0 = 0;
let tEnd = 0;
const gen = workload({ pods: PODS, records: RECORDS, namespaces: 47, bigNamespacePods: BIG, seed: 7, spanMicros: SPAN }, 400);
const started = performance.now();
const pods = await eachBatch(gen, async (batch, i) => {
  const { text, count, lastMicros } = batch;
  // Untimed: raw object sizes for the storage ratio.
  const items = (JSON.parse(text) as { items: { responseObject: unknown }[] }).items;
  const raw = items.reduce((n, e) => n + JSON.stringify(e.responseObject).length, 0);
  rawObjectBytes += raw;
  if (records >= PODS) churnRawBytes += raw;
  if (records < PODS && records + count >= PODS) bytesAfterCreate = -1; // measured after this batch
  const parseOnce = () => timed(parse, () => JSON.parse(text));
  const ingestOnce = () => timed(ingest, () => sink.ingestList(JSON.parse(text)));
  if (i % 2) { await parseOnce(); await ingestOnce(); } else { await ingestOnce(); await parseOnce(); }
  if (bytesAfterCreate === -1) bytesAfterCreate = storedBytes();
  inputBytes += text.length;
  records += count;
  if (!t0) t0 = lastMicros;
  tEnd = lastMicros;
  if (i % 250 === 0) process.stderr.write(`\r${records.toLocaleString()} records…`);
});
const wallS = (performance.now() - started) / 1000;
process.stderr.write('\n');
const totalStored = storedBytes();
const perDb = Object.entries(store.dbs).filter(([k]) => k !== 'root').map(([k, db]) => `${k} ${fmt(lmdbBytes(db as never) / 2 ** 20, 1)} MiB`).join(', ');

const queries = queriesAs(createHistoryQueries({ store }), TRUSTED_VIEWER);
const rand = prng(99);
const objectSamples: number[] = [];
for (let i = 0; i < 10_000; i++) {
  const p = pods[Math.floor(rand() * pods.length)]!;
  const at = t0 + Math.floor(rand() * (tEnd - t0)) + SPAN / 20;
  const s = performance.now();
  await queries.objectAt({ kind: 'pods', namespace: p.ns, name: p.name, at: Math.min(at, tEnd) });
  objectSamples.push(performance.now() - s);
}
const listSamples: number[] = [];
const summarySamples: number[] = [];
let listed = 0;
let summaryBytes = 0;
for (let i = 0; i < 20; i++) {
  const at = tEnd - Math.floor(rand() * (tEnd - t0) * 0.9);
  const s = performance.now();
  listed = (await queries.listAt({ kind: 'pods', namespace: 'big', at, limit: 5000 })).items.length;
  listSamples.push(performance.now() - s);
  // The summary view from slim rows, to the answer text of GET /v1/objects (bench/summary-list.ts compares the paths).
  const t = performance.now();
  summaryBytes = JSON.stringify(presentListAt(await queries.listAt({ kind: 'pods', namespace: 'big', at, limit: 5000, summary: true }), { view: 'summary' })).length;
  summarySamples.push(performance.now() - t);
}
await store.close();

const obj = summary(objectSamples);
const list = summary(listSamples);
const summaryList = summary(summarySamples);
const ingestS = ingest.wall / 1000;
const ratio = parse.wall / ingest.wall;
const churnRevisions = records - PODS;
const perChurn = (totalStored - bytesAfterCreate) / churnRevisions;
const rawPerChurn = churnRawBytes / churnRevisions;
const lines = [
  `# History core benchmark (embedded store)`,
  ``,
  `Command: \`node bench/history.ts --records ${RECORDS} --pods ${PODS}\` (Node ${process.version}, ${new Date().toISOString().slice(0, 10)}, 2-core shared machine).`,
  `Input: ${records.toLocaleString()} audit events (RequestResponse, Pods ${fmt(rawObjectBytes / records / 1024, 1)} KB average) over ${PODS.toLocaleString()} Pods in 48 namespaces (one of ${BIG.toLocaleString()} Pods), 24 h of history, batches of 400 events as the apiserver's webhook sends them; ${fmt(inputBytes / 2 ** 20, 0)} MiB of JSON. Wall time ${fmt(wallS, 0)} s.`,
  ``,
  `| measure | result | target |`,
  `|---|---|---|`,
  `| audit ingest (parse, convert, store durably) | ${fmt(records / ingestS, 0)} records/s, ${fmt(inputBytes / 2 ** 20 / ingestS, 1)} MiB/s | |`,
  `| bare \`JSON.parse\` of the same batches (same run, interleaved) | ${fmt(records / (parse.wall / 1000), 0)} records/s, ${fmt(inputBytes / 2 ** 20 / (parse.wall / 1000), 1)} MiB/s | |`,
  `| ratio ingest / JSON.parse | **${fmt(ratio, 2)}** | >= 0.5 |`,
  `| the same by CPU (every thread): JSON.parse ÷ ingest, CPU ms per record ${fmt(parse.cpu / records, 4)} ÷ ${fmt(ingest.cpu / records, 4)} | **${fmt(parse.cpu / ingest.cpu, 3)}** | |`,
  `| object as of T (${obj.n.toLocaleString()} random Pods and times) | p50 ${fmt(obj.p50, 3)} ms, **p99 ${fmt(obj.p99, 3)} ms**, max ${fmt(obj.max, 1)} ms | p99 <= 5 ms |`,
  `| namespace list as of T, ${listed.toLocaleString()} Pods (${list.n} random times) | p50 ${fmt(list.p50, 0)} ms, **p99 ${fmt(list.p99, 0)} ms** | <= 300 ms |`,
  `| namespace list as of T in the summary view, from slim rows, answer text included (same times) | p50 ${fmt(summaryList.p50, 0)} ms, **p99 ${fmt(summaryList.p99, 0)} ms**, ${fmt(summaryBytes / Math.max(listed, 1), 0)} B per Pod | <= 50 ms |`,
  `| stored bytes per status-only revision (all LMDB pages: revisions, feed, indexes) | ${fmt(perChurn, 0)} B vs ${fmt(rawPerChurn, 0)} B raw JSON = **${fmt((100 * perChurn) / rawPerChurn, 1)}%** | <= 20% |`,
  `| whole store (${perDb}) | ${fmt(totalStored / 2 ** 20, 0)} MiB for ${records.toLocaleString()} revisions = ${fmt(totalStored / records, 0)} B each (${fmt((100 * totalStored) / rawObjectBytes, 1)}% of raw) | |`,
  ``,
];
const out = lines.join('\n');
process.stdout.write(out);
if (a.out) writeFileSync(a.out, out);
