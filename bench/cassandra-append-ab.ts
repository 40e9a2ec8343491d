/**
 * Cassandra ingest, batches across partitions or not, in one run (issue 16 §13): the same
 * converted audit batches appended to the embedded store and to two Cassandra stores (each in a
 * keyspace of its own), interleaved batch by batch in a rotating order, each append timed alone.
 * Store A writes the way store/cassandra does (rows of partitions on the same replicas share a
 * batch); store B has every write's `routing` dropped, so its batches hold one partition each
 * (the phased append of §13 without the replica batches). Per store: records/s and ÷ embedded,
 * this process's CPU per record, Cassandra's (with --server-pid, from /proc) and requests per record.
 * Run (Cassandra from `npm run services:up`):
 *   node bench/cassandra-append-ab.ts [--records 30000] [--pods 4000] [--server-pid PID]
 *                                     [--contact-points 127.0.0.1:9042] [--dc datacenter1]
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import cassandra from 'cassandra-driver';
import type { ChangeRecord } from '../core/record.ts';
import { AuditSink } from '../ingester/audit/audit-sink.ts';
import { CassandraHistoryStore } from '../store/cassandra/index.ts';
import { CassandraDb } from '../store/cassandra/client.ts';
import { LmdbHistoryStore } from '../store/lmdb/lmdb-history-store.ts';
import { eachBatch, workload } from './lib/generate.ts';
import { args, fmt, processCpuMs } from './lib/stats.ts';

const a = args(process.argv.slice(2));
const RECORDS = Number(a.records ?? 30_000);
const PODS = Number(a.pods ?? 4_000);
const CONTACT = (a['contact-points'] ?? '127.0.0.1:9042').split(',');
const DC = a.dc ?? 'datacenter1';
const DIR = join('bench', '.data', 'cassandra-append-ab');
const PID = a['server-pid'];

// Store B's writes lose their routing (set while B appends; appends run one at a time).
let perPartition = false;
const writeAll = CassandraDb.prototype.writeAll;
CassandraDb.prototype.writeAll = function (statements, what) {
  return writeAll.call(this, perPartition ? statements.map(({ routing: _, ...s }) => s) : statements, what);
};

rmSync(DIR, { recursive: true, force: true });
mkdirSync(DIR, { recursive: true });
const stamp = Date.now().toString(36);
const keyspaces = [`kt_bench_ab_a_${stamp}`, `kt_bench_ab_b_${stamp}`];
const connect = (keyspace: string) => CassandraHistoryStore.connect({ contactPoints: CONTACT, localDataCenter: DC, keyspace, migrate: true });
const stores = { embedded: LmdbHistoryStore.open({ path: DIR }), replicas: await connect(keyspaces[0]!), partitions: await connect(keyspaces[1]!) };
const names = ['embedded', 'replicas', 'partitions'] as const;
type Name = (typeof names)[number];
const zero = () => ({ embedded: 0, replicas: 0, partitions: 0 });
const ms: Record<Name, number> = zero();
const cpu: Record<Name, number> = zero();
const server: Record<Name, number> = zero();
const requests: Record<Name, number> = zero();

const sink = new AuditSink({ writer: { write: async () => undefined }, clock: { now: () => Date.now() * 1000 }, cluster: 'bench' });
const gen = workload({ pods: PODS, records: RECORDS, namespaces: 20, bigNamespacePods: Math.min(1000, PODS), seed: 11, spanMicros: 6 * 3600e6 }, 400);
let records = 0;
await eachBatch(gen, async (batch, i) => {
  const recs: ChangeRecord[] = sink.convert((JSON.parse(batch.text) as { items: unknown[] }).items).records;
  for (const name of [...names.slice(i % 3), ...names.slice(0, i % 3)]) {
    const store = stores[name];
    perPartition = name === 'partitions';
    const req = store instanceof CassandraHistoryStore ? store.requests : 0;
    const [c, srv] = [process.cpuUsage(), processCpuMs(PID)];
    const s = performance.now();
    await store.append(recs);
    ms[name] += performance.now() - s;
    const used = process.cpuUsage(c);
    cpu[name] += (used.user + used.system) / 1000;
    server[name] += processCpuMs(PID) - srv;
    requests[name] += store instanceof CassandraHistoryStore ? store.requests - req : 0;
  }
  records += recs.length;
  if (i % 20 === 0) process.stderr.write(`\r${records.toLocaleString()} records…`);
});
process.stderr.write('\n');
const client = new cassandra.Client({ contactPoints: CONTACT, localDataCenter: DC });
for (const k of keyspaces) await client.execute(`DROP KEYSPACE IF EXISTS ${k}`);
await client.shutdown();
for (const s of Object.values(stores)) await s.close();
rmSync(DIR, { recursive: true, force: true });

const label: Record<Name, string> = { embedded: 'embedded (LMDB)', replicas: 'Cassandra, batches by replica set', partitions: 'Cassandra, batches per partition' };
const us = (x: number) => fmt((x / records) * 1000, 0);
process.stdout.write([
  `Command: \`node bench/cassandra-append-ab.ts --records ${RECORDS} --pods ${PODS}${PID ? ' --server-pid <pid>' : ''}\` (Node ${process.version}, ${new Date().toISOString().slice(0, 16)} UTC), ${records.toLocaleString()} records in batches of 400.`,
  ``,
  `| store | records/s | ÷ embedded | this process CPU µs/record | Cassandra CPU µs/record (/proc, while appending) | requests/record |`,
  `|---|---|---|---|---|---|`,
  ...names.map((n) => `| ${label[n]} | ${fmt(records / (ms[n] / 1000), 0)} | ${fmt(ms.embedded / ms[n], 2)} | ${us(cpu[n])} | ${PID ? us(server[n]) : ''} | ${n === 'embedded' ? '' : fmt(requests[n] / records, 2)} |`),
  ``,
].join('\n'));
