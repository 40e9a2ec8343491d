/**
 * Cassandra vs the embedded store on the same data in one run (issue 7):
 *   ingest (the same converted audit batches appended to both, interleaved batch by batch, each
 *   append timed alone), then the same queries through core/queries.ts on both: object as of T,
 *   namespace list as of T, one object's history, the change feed (cluster and namespace).
 *   Ratios are Cassandra / embedded (time) or embedded / Cassandra (throughput): > 1 = slower.
 * Run (Cassandra from `npm run services:up`):
 *   node bench/cassandra.ts [--records 100000] [--pods 10000] [--contact-points 127.0.0.1:9042]
 *                           [--dc datacenter1] [--out bench/results/cassandra.md]
 *                           [--big 1000] [--lists 10] [--summary] [--list-profile file.cpuprofile] [--server-pid PID]
 *   --big: Pods in the listed namespace (default min(1000, pods)); --summary (implied by --big) adds
 *   the namespace list as of T in the summary view, the way GET /v1/objects?view=summary asks for it
 *   (listAt `summary`, answer text included), with each list's Node CPU and Cassandra round trips;
 *   --list-profile writes a CPU profile of the Cassandra list phase and prints its top self times;
 *   --server-pid: Cassandra's process id on this machine (Linux), to count its CPU per list and per record ingested.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Session } from 'node:inspector/promises';
import { performance } from 'node:perf_hooks';
import cassandra from 'cassandra-driver';
import type { HistoryStore } from '../core/ports.ts';
import { createHistoryQueries } from '../core/queries.ts';
import { TRUSTED_VIEWER } from '../core/access.ts';
import { queriesAs } from '../core/viewed-queries.ts';
import { presentListAt } from '../history-api/present.ts';
import type { ChangeRecord } from '../core/record.ts';
import { AuditSink } from '../ingester/audit/audit-sink.ts';
import { CassandraHistoryStore } from '../store/cassandra/index.ts';
import { LmdbHistoryStore } from '../store/lmdb/lmdb-history-store.ts';
import { eachBatch, prng, workload } from './lib/generate.ts';
import { listCosts, profileOf } from './lib/cassandra-lists.ts';
import { args, fmt, processCpuMs, summary } from './lib/stats.ts';

const a = args(process.argv.slice(2));
const RECORDS = Number(a.records ?? 100_000);
const PODS = Number(a.pods ?? 10_000);
const BIG = Math.min(Number(a.big ?? 1000), PODS);
const LISTS = Number(a.lists ?? 10);
const SUMMARY = Boolean(a.summary ?? a.big);
const SPAN = 6 * 3600e6;
const CONTACT = (a['contact-points'] ?? '127.0.0.1:9042').split(',');
const DC = a.dc ?? 'datacenter1';
const DIR = a.dir ?? join('bench', '.data', 'cassandra-vs-lmdb');
const KEYSPACE = `kt_bench_${Date.now().toString(36)}`;

rmSync(DIR, { recursive: true, force: true });
mkdirSync(DIR, { recursive: true });
const lmdb = LmdbHistoryStore.open({ path: DIR });
const cass = await CassandraHistoryStore.connect({
  contactPoints: CONTACT, localDataCenter: DC, keyspace: KEYSPACE, migrate: true,
  ...(a['uid-concurrency'] ? { uidConcurrency: Number(a['uid-concurrency']) } : {}),
  ...(a['max-in-flight'] ? { maxInFlight: Number(a['max-in-flight']) } : {}),
});
const stores: Record<'lmdb' | 'cassandra', HistoryStore> = { lmdb, cassandra: cass };
const dropKeyspace = async () => {
  const c = new cassandra.Client({ contactPoints: CONTACT, localDataCenter: DC });
  await c.execute(`DROP KEYSPACE IF EXISTS ${KEYSPACE}`).finally(() => c.shutdown());
};
process.once('SIGINT', () => void dropKeyspace().finally(() => process.exit(130)));
const sink = new AuditSink({ writer: { write: async () => undefined }, clock: { now: () => Date.now() * 1000 }, cluster: 'bench' });

// ---- ingest -------------------------------------------------------------------------------
const ingestMs = { lmdb: 0, cassandra: 0 };
const requestsBefore = cass.requests;
const batchMs: Record<'lmdb' | 'cassandra', number[]> = { lmdb: [], cassandra: [] };
// CPU while each store appends: this process (every thread) and, with --server-pid, Cassandra's.
const ingestCpu = { lmdb: 0, cassandra: 0, server: 0 };
let records = 0;
let t0 = 0;
let tEnd = 0;
const gen = workload({ pods: PODS, records: RECORDS, namespaces: 20, bigNamespacePods: BIG, seed: 11, spanMicros: SPAN }, 400);
const pods = await eachBatch(gen, async (batch, i) => {
  const recs: ChangeRecord[] = sink.convert((JSON.parse(batch.text) as { items: unknown[] }).items).records;
  for (const name of (i % 2 ? ['lmdb', 'cassandra'] : ['cassandra', 'lmdb']) as ('lmdb' | 'cassandra')[]) {
    const [cpu, server] = [process.cpuUsage(), name === 'cassandra' ? processCpuMs(a['server-pid']) : 0];
    const s = performance.now();
    await stores[name].append(recs);
    const ms = performance.now() - s;
    const used = process.cpuUsage(cpu);
    ingestCpu[name] += (used.user + used.system) / 1000;
    if (name === 'cassandra') ingestCpu.server += processCpuMs(a['server-pid']) - server;
    ingestMs[name] += ms;
    batchMs[name].push(ms);
  }
  records += recs.length;
  if (!t0) t0 = batch.lastMicros;
  tEnd = batch.lastMicros;
  if (i % 20 === 0) process.stderr.write(`\r${records.toLocaleString()} records…`);
});
process.stderr.write('\n');
const ingestRequests = cass.requests - requestsBefore;

// ---- queries ------------------------------------------------------------------------------
type Q = (s: HistoryStore, i: number) => Promise<unknown>;
async function timed(n: number, q: Q): Promise<Record<'lmdb' | 'cassandra', ReturnType<typeof summary> & { total: number; requests: number }>> {
  const out = {} as Record<'lmdb' | 'cassandra', ReturnType<typeof summary> & { total: number; requests: number }>;
  for (const name of ['lmdb', 'cassandra'] as const) {
    const samples: number[] = [];
    const before = cass.requests;
    for (let i = 0; i < n; i++) {
      const s = performance.now();
      await q(stores[name], i);
      samples.push(performance.now() - s);
    }
    out[name] = { ...summary(samples), total: samples.reduce((x, y) => x + y, 0), requests: (cass.requests - before) / n };
  }
  return out;
}

const queries = { lmdb: queriesAs(createHistoryQueries({ store: lmdb }), TRUSTED_VIEWER), cassandra: queriesAs(createHistoryQueries({ store: cass }), TRUSTED_VIEWER) };
const qOf = (s: HistoryStore) => (s === lmdb ? queries.lmdb : queries.cassandra);
const rand = prng(5);
const samplePods = Array.from({ length: 1000 }, () => pods[Math.floor(rand() * pods.length)]!);
const sampleAt = Array.from({ length: 1000 }, () => t0 + SPAN / 20 + Math.floor(rand() * (tEnd - t0 - SPAN / 20)));
const results: [string, Awaited<ReturnType<typeof timed>>][] = [];
results.push(['object as of T (random Pod, random T)', await timed(1000, (s, i) => qOf(s).objectAt({ kind: 'pods', namespace: samplePods[i]!.ns, name: samplePods[i]!.name, at: sampleAt[i]! }))]);
let listed = 0;
const fullList: Q = async (s, i) => {
  listed = (await qOf(s).listAt({ kind: 'pods', namespace: 'big', at: sampleAt[i]!, limit: 5000 })).items.length;
};
// The summary view as GET /v1/objects?view=summary answers it: listAt `summary`, then the answer text.
let summaryBytes = 0;
/** Each summary answer by store and list, to check both stores answered the same. */
const summaryAnswers = { lmdb: new Map<number, string>(), cassandra: new Map<number, string>() };
const summaryList: Q = async (s, i) => {
  const text = JSON.stringify(presentListAt(await qOf(s).listAt({ kind: 'pods', namespace: 'big', at: sampleAt[i]!, limit: 5000, summary: true }), { view: 'summary' }));
  summaryBytes = text.length;
  summaryAnswers[s === lmdb ? 'lmdb' : 'cassandra'].set(i, text);
};
const costs = listCosts(cass, LISTS, a['server-pid'] ? Number(a['server-pid']) : undefined);
results.push([`namespace list as of T (${BIG.toLocaleString()}-Pod namespace)`, await timed(LISTS, costs.measure('full', fullList))]);
if (SUMMARY) results.push([`namespace list as of T, summary view, answer text included (${BIG.toLocaleString()}-Pod namespace)`, await timed(LISTS, costs.measure('summary', summaryList))]);
for (const [i, text] of summaryAnswers.lmdb) {
  if (summaryAnswers.cassandra.get(i) !== text) throw new Error(`the summary list at sample ${i} differs between the stores`);
}
let profile: string[] = [];
if (a['list-profile']) {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  for (let i = 0; i < Math.min(LISTS, 3); i++) await (SUMMARY ? summaryList : fullList)(cass, i);
  const { profile: p } = await session.post('Profiler.stop');
  session.disconnect();
  writeFileSync(a['list-profile'], JSON.stringify(p));
  profile = profileOf(p);
}
results.push(['history of one Pod (all revisions)', await timed(200, (s, i) => qOf(s).history({ kind: 'pods', namespace: samplePods[i]!.ns, name: samplePods[i]!.name }))]);
results.push(['changes, 5 min window, newest 100 (cluster)', await timed(200, (s, i) => qOf(s).changes({ from: sampleAt[i]! - 300e6, to: sampleAt[i]!, limit: 100 }))]);
results.push(['changes, 5 min window, newest 100 (one namespace)', await timed(200, (s, i) => qOf(s).changes({ namespace: samplePods[i]!.ns, from: sampleAt[i]! - 300e6, to: sampleAt[i]!, limit: 100 }))]);

// ---- stored sizes (Cassandra rows as written, before compression on disk) -------------------
const client = new cassandra.Client({ contactPoints: CONTACT, localDataCenter: DC, keyspace: KEYSPACE });
let bodyBytes = 0;
let bodyRows = 0;
let baseBytes = 0;
let baseRows = 0;
for (const p of samplePods.slice(0, 200)) {
  const buckets = await client.execute('SELECT bucket FROM revision_buckets WHERE cluster = ? AND gk = ? AND namespace = ? AND name = ?', ['bench', 'Pod', p.ns, p.name], { prepare: true });
  for (const b of buckets.rows) {
    const pk = ['bench', 'Pod', p.ns, p.name, b.get('bucket')];
    for (const r of (await client.execute('SELECT body FROM revisions WHERE cluster = ? AND gk = ? AND namespace = ? AND name = ? AND bucket = ?', pk, { prepare: true, fetchSize: 5000 })).rows) {
      bodyBytes += (r.get('body') as Buffer | null)?.length ?? 0;
      bodyRows++;
    }
    for (const r of (await client.execute('SELECT body FROM revision_bases WHERE cluster = ? AND gk = ? AND namespace = ? AND name = ? AND bucket = ?', pk, { prepare: true })).rows) {
      baseBytes += (r.get('body') as Buffer).length;
      baseRows++;
    }
  }
}
await client.shutdown();
await dropKeyspace();
await cass.close();
await lmdb.close();
rmSync(DIR, { recursive: true, force: true });

// ---- report -------------------------------------------------------------------------------
const ing = { lmdb: records / (ingestMs.lmdb / 1000), cassandra: records / (ingestMs.cassandra / 1000) };
const bl = { lmdb: summary(batchMs.lmdb), cassandra: summary(batchMs.cassandra) };
const lines = [
  `# Cassandra vs embedded store benchmark`,
  ``,
  `Command: \`node bench/cassandra.ts --records ${RECORDS} --pods ${PODS}${a.big ? ` --big ${BIG}` : ''}${a.lists ? ` --lists ${LISTS}` : ''}${a.summary ? ' --summary' : ''}${a['uid-concurrency'] ? ` --uid-concurrency ${a['uid-concurrency']}` : ''}${a['max-in-flight'] ? ` --max-in-flight ${a['max-in-flight']}` : ''}\` (Node ${process.version}, ${new Date().toISOString().slice(0, 10)}).`,
  `Machine: 2 shared cores, one Cassandra 5.0 node (1 GB heap, test/infra/cassandra.sh) on the same machine as the benchmark, replication factor 1, consistency LOCAL_QUORUM (= 1 replica).`,
  `Data: ${records.toLocaleString()} audit-derived revisions (${PODS.toLocaleString()} Pod creates of 4–10 KB, then status churn) over 6 h, in batches of 400 as the apiserver's webhook sends them; both stores get the same batches, interleaved, each append timed alone (conversion not timed).`,
  ``,
  `| measure | embedded (LMDB) | Cassandra | ratio |`,
  `|---|---|---|---|`,
  `| ingest, records/s (append of 400-record batches, durable) | ${fmt(ing.lmdb, 0)} | ${fmt(ing.cassandra, 0)} | ${fmt(ing.lmdb / ing.cassandra, 1)}x slower |`,
  `| ingest, one batch p50 / p99 ms | ${fmt(bl.lmdb.p50, 1)} / ${fmt(bl.lmdb.p99, 1)} | ${fmt(bl.cassandra.p50, 1)} / ${fmt(bl.cassandra.p99, 1)} | |`,
  ...results.map(([name, r]) => `| ${name}: p50 / p99 ms (${r.lmdb.n} queries) | ${fmt(r.lmdb.p50, 2)} / ${fmt(r.lmdb.p99, 2)} | ${fmt(r.cassandra.p50, 2)} / ${fmt(r.cassandra.p99, 2)} | ${fmt(r.cassandra.p50 / r.lmdb.p50, 1)}x (p50) |`),
  ``,
  `CPU per record ingested: this process ${fmt(ingestCpu.lmdb / records * 1000, 0)} µs appending to the embedded store, ${fmt(ingestCpu.cassandra / records * 1000, 0)} µs appending to Cassandra${a['server-pid'] ? `; Cassandra's own (pid ${a['server-pid']}, /proc, while this process appended to it) ${fmt(ingestCpu.server / records * 1000, 0)} µs, ${fmt(ingestCpu.server / ingestRequests * 1000, 0)} µs a request` : ''}.`,
  ``,
  `Requests to Cassandra (statements and batches, each page counts): ${fmt(ingestRequests / records, 2)} per record ingested; per query: ${results.map(([name, r]) => `${name} ${fmt(r.cassandra.requests, 1)}`).join('; ')}.`,
  ``,
  ...(SUMMARY ? costs.report(listed, summaryBytes) : []),
  ...(SUMMARY ? [`The summary answers (answer text) of both stores were identical on all ${summaryAnswers.lmdb.size} lists.`, ``] : []),
  ...(profile.length ? [`CPU profile of ${Math.min(LISTS, 3)} Cassandra ${SUMMARY ? 'summary' : 'full'} lists (${a['list-profile']}), self time by where it runs: ${profile.join('; ')}.`, ``] : []),
  `The namespace list returned ${listed.toLocaleString()} Pods. Cassandra revision rows (200 sampled Pods): ${bodyRows.toLocaleString()} revisions, body ${fmt(bodyBytes / Math.max(1, bodyRows), 0)} B each on average (RFC 6902 patch against a base, deflated when > 512 B); ${baseRows.toLocaleString()} bases of ${fmt(baseBytes / Math.max(1, baseRows), 0)} B (deflated JSON).`,
  ``,
  `Reading the numbers: every Cassandra request is a network round trip to a JVM competing with the benchmark for the same two cores, while LMDB answers from memory-mapped pages in-process; the ratios are an upper bound of the cost on a real cluster. An append goes in phases over all its records (identity reads; data rows in batches by partition and replica set; lifetimes; identity rows: issue-16.md §13), about two requests per record. An object as of T is three point reads (bucket index, revision, base). The namespace list is one lifetime epoch read plus one object-as-of-T per Pod, issued one after another by core/scope.ts objectsAt; issuing them concurrently would cut the Cassandra figure by roughly the concurrency. Sizing for a 150,000-Pod cluster: bench/results/cassandra-sizing.md.`,
  ``,
];
const out = lines.join('\n');
process.stdout.write(out);
if (a.out) writeFileSync(a.out, out);
