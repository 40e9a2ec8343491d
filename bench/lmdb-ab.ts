/**
 * A/B of two embedded stores in one process (issue 16): the same audit batches go to store A and
 * store B, interleaved batch by batch with a bare JSON.parse of the same input; then the same
 * object-as-of-T and namespace-list-as-of-T queries on both, interleaved. Timings on a shared
 * machine are noisy: read the ratios, which compare runs made side by side.
 *   --ab format: A is stamped with the previous on-disk format (v3: every value carries its own
 *                msgpack record definition), B is the current one (v4: structures shared);
 *   --ab chains: A keeps every object's chain packed in memory (keepChains), B rebuilds objects
 *                beyond the parsed tier from the store (the default);
 *   --ab txn:    A writes plain appends as lmdb-js asynchronous puts (asyncPuts), B writes each
 *                append in one write transaction (the default);
 *   --ab code --before DIR: A is the store code of another commit, B this one's. DIR holds that
 *                commit's store/lmdb two folders below the repository (its imports then resolve
 *                to this checkout's core/), e.g. for main:
 *                git archive main store/lmdb | tar -x --strip-components=2 -C .scratch/lmdb-main
 * Run: node bench/lmdb-ab.ts [--ab format|chains|txn|code] [--before DIR] [--records 60000] [--pods 6000] [--lists 10] [--out file]
 */
import { TRUSTED_VIEWER } from '../core/access.ts';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { createHistoryQueries } from '../core/queries.ts';
import type { ChangeRecord } from '../core/record.ts';
import { AuditSink } from '../ingester/audit/audit-sink.ts';
import { LMDB_FORMAT, LmdbHistoryStore, stampFormat } from '../store/lmdb/lmdb-history-store.ts';
import { cpuMs as cpu } from './lib/ingest-ab.ts';
import { eachBatch, prng, workload } from './lib/generate.ts';
import { args, fmt, storeBytes, summary } from './lib/stats.ts';

const a = args(process.argv.slice(2));
const RECORDS = Number(a.records ?? 60_000);
const PODS = Number(a.pods ?? 6_000);
const LISTS = Number(a.lists ?? 10);
const BIG = Math.min(3000, PODS);
const SPAN = 24 * 3600e6;
const DIR = join('bench', '.data', 'lmdb-ab');
const AB = a.ab ?? 'format';
const NAMES = ['v3', 'v4'] as const;
type Name = (typeof NAMES)[number];
const LABELS: Record<string, Record<Name, string>> = {
  chains: { v3: 'A: chains kept in memory', v4: 'B: chains read back (default)' },
  txn: { v3: 'A: asynchronous puts', v4: 'B: one transaction per append (default)' },
  code: { v3: `A: the store code in ${a.before}`, v4: 'B: this commit\'s' },
};
const LABEL = LABELS[AB] ?? { v3: 'A: v3 (previous)', v4: 'B: v4 (current)' };
/** The format store A is stamped with (the store keeps writing it as it is). */
const PREVIOUS: Record<string, string> = { format: 'kubetime.lmdb/v3' };

rmSync(DIR, { recursive: true, force: true });
const stores = {} as Record<Name, LmdbHistoryStore>;
for (const name of NAMES) {
  const path = join(DIR, name);
  mkdirSync(path, { recursive: true });
  // An empty store stamped with the previous format: the store keeps writing it as it is.
  if (name === 'v3' && PREVIOUS[AB]) await stampFormat(path, PREVIOUS[AB]);
  // --ab code: A opens the same way with the other commit's class (the options it does not know are ignored).
  const Store: typeof LmdbHistoryStore = AB === 'code' && name === 'v3' ? (await import(pathToFileURL(resolve(a.before!, 'lmdb-history-store.ts')).href)).LmdbHistoryStore : LmdbHistoryStore;
  stores[name] = Store.open({ path, keepChains: AB === 'chains' && name === 'v3', asyncPuts: AB === 'txn' && name === 'v3' });
}
const sink = new AuditSink({ writer: { write: async () => undefined }, clock: { now: () => Date.now() * 1000 }, cluster: 'bench' });

const ingestMs: Record<Name | 'parse', number> = { v3: 0, v4: 0, parse: 0 };
const ingestCpu: Record<Name | 'parse', number> = { v3: 0, v4: 0, parse: 0 };
let records = 0;
let t0 = 0;
let tEnd = 0;
const gen = workload({ pods: PODS, records: RECORDS, namespaces: 47, bigNamespacePods: BIG, seed: 7, spanMicros: SPAN }, 400);
const pods = await eachBatch(gen, async (batch, i) => {
  const { text } = batch;
  // Each store gets its own conversion of the batch (the sink's cost counts, as in history.ts).
  const steps: (() => Promise<void>)[] = [
    async () => {
      const s = performance.now();
      const c = cpu();
      JSON.parse(text);
      ingestCpu.parse += cpu() - c;
      ingestMs.parse += performance.now() - s;
    },
    ...NAMES.map((name) => async () => {
      const s = performance.now();
      const c = cpu();
      const recs: ChangeRecord[] = sink.convert((JSON.parse(text) as { items: unknown[] }).items).records;
      await stores[name].append(recs);
      ingestCpu[name] += cpu() - c;
      ingestMs[name] += performance.now() - s;
    }),
  ];
  for (let k = 0; k < steps.length; k++) await steps[(i + k) % steps.length]!();
  records += batch.count;
  if (!t0) t0 = batch.lastMicros;
  tEnd = batch.lastMicros;
  if (i % 25 === 0) process.stderr.write(`\r${records.toLocaleString()} records…`);
});
process.stderr.write('\n');

const queries = { v3: createHistoryQueries({ store: stores.v3 }), v4: createHistoryQueries({ store: stores.v4 }) };
const rand = prng(99);
const objMs: Record<Name, number[]> = { v3: [], v4: [] };
const objCpu: Record<Name, number> = { v3: 0, v4: 0 };
for (let i = 0; i < 4000; i++) {
  const p = pods[Math.floor(rand() * pods.length)]!;
  const at = Math.min(t0 + Math.floor(rand() * (tEnd - t0)) + SPAN / 20, tEnd);
  for (const name of i % 2 ? NAMES : [...NAMES].reverse()) {
    const s = performance.now();
    const c = cpu();
    await queries[name].objectAt({ viewer: TRUSTED_VIEWER, kind: 'pods', namespace: p.ns, name: p.name, at });
    objCpu[name] += cpu() - c;
    objMs[name].push(performance.now() - s);
  }
}
const listMs: Record<Name, number[]> = { v3: [], v4: [] };
const listCpu: Record<Name, number[]> = { v3: [], v4: [] };
let listed = 0;
for (let i = 0; i < LISTS; i++) {
  const at = tEnd - Math.floor(rand() * (tEnd - t0) * 0.9);
  for (const name of i % 2 ? NAMES : [...NAMES].reverse()) {
    const s = performance.now();
    const c = cpu();
    listed = (await queries[name].listAt({ viewer: TRUSTED_VIEWER, kind: 'pods', namespace: 'big', at, limit: 5000 })).items.length;
    listCpu[name].push(cpu() - c);
    listMs[name].push(performance.now() - s);
  }
}
const stored = { v3: storeBytes(stores.v3.dbs), v4: storeBytes(stores.v4.dbs) };
for (const name of NAMES) await stores[name].close();
rmSync(DIR, { recursive: true, force: true });

const rate = (name: Name) => records / (ingestMs[name] / 1000);
const obj = { v3: summary(objMs.v3), v4: summary(objMs.v4) };
const list = { v3: summary(listMs.v3), v4: summary(listMs.v4) };
const cpuList = { v3: summary(listCpu.v3), v4: summary(listCpu.v4) };
const lines = [
  `Command: \`node bench/lmdb-ab.ts --ab ${AB}${a.before ? ` --before ${a.before}` : ''} --records ${RECORDS} --pods ${PODS} --lists ${LISTS}\` (Node ${process.version}, ${new Date().toISOString()}, 2-core shared machine). Current format: ${LMDB_FORMAT}.`,
  ``,
  `| measure | ${LABEL.v3} | ${LABEL.v4} | B ÷ A |`,
  `|---|---|---|---|`,
  `| audit ingest, records/s (parse, convert, store durably) | ${fmt(rate('v3'), 0)} | ${fmt(rate('v4'), 0)} | ${fmt(rate('v4') / rate('v3'), 2)} |`,
  `| ratio ingest ÷ bare JSON.parse (${fmt(records / (ingestMs.parse / 1000), 0)} records/s, same run) | ${fmt(ingestMs.parse / ingestMs.v3, 3)} | ${fmt(ingestMs.parse / ingestMs.v4, 3)} | |`,
  `| object as of T, p50 / p99 ms (${obj.v4.n} queries) | ${fmt(obj.v3.p50, 3)} / ${fmt(obj.v3.p99, 3)} | ${fmt(obj.v4.p50, 3)} / ${fmt(obj.v4.p99, 3)} | ${fmt(obj.v4.p50 / obj.v3.p50, 2)} / ${fmt(obj.v4.p99 / obj.v3.p99, 2)} |`,
  `| namespace list as of T, ${listed.toLocaleString()} Pods, p50 / p99 ms (${list.v4.n} queries) | ${fmt(list.v3.p50, 0)} / ${fmt(list.v3.p99, 0)} | ${fmt(list.v4.p50, 0)} / ${fmt(list.v4.p99, 0)} | ${fmt(list.v4.p50 / list.v3.p50, 2)} / ${fmt(list.v4.p99 / list.v3.p99, 2)} |`,
  `| CPU ms per record ingested (every thread; bare JSON.parse ${fmt(ingestCpu.parse / records, 4)}) | ${fmt(ingestCpu.v3 / records, 4)} | ${fmt(ingestCpu.v4 / records, 4)} | ${fmt(ingestCpu.v4 / ingestCpu.v3, 2)} |`,
  `| ratio by CPU: JSON.parse ÷ ingest | ${fmt(ingestCpu.parse / ingestCpu.v3, 3)} | ${fmt(ingestCpu.parse / ingestCpu.v4, 3)} | |`,
  `| CPU ms per object as of T (mean) | ${fmt(objCpu.v3 / obj.v3.n, 3)} | ${fmt(objCpu.v4 / obj.v4.n, 3)} | ${fmt(objCpu.v4 / objCpu.v3, 2)} |`,
  `| CPU ms per list as of T, p50 | ${fmt(cpuList.v3.p50, 0)} | ${fmt(cpuList.v4.p50, 0)} | ${fmt(cpuList.v4.p50 / cpuList.v3.p50, 2)} |`,
  `| stored bytes (all LMDB pages) | ${fmt(stored.v3 / 2 ** 20, 1)} MiB | ${fmt(stored.v4 / 2 ** 20, 1)} MiB | ${fmt(stored.v4 / stored.v3, 3)} |`,
  ``,
];
const out = lines.join('\n');
process.stdout.write(out);
if (a.out) writeFileSync(a.out, out);
