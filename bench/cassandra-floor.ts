/**
 * The read floor of a Cassandra summary list as of T (bench/results/issue-16.md §14), measured on
 * the node itself, without ingest: one scratch keyspace (schema/ migrated), the same Pods written
 * two ways with plain CQL, read alternately at the same times.
 *   per name (today):   `revisions` + `revision_buckets`, each Pod its own partitions, read by
 *                       CassandraHistoryStore.summaryStatesAt (store/cassandra/summary-reader.ts);
 *   per namespace (route 1 of §12, not built): a scratch table keyed by (cluster, kind, namespace,
 *                       bucket) clustered by name, holding every revision of the bucket plus the
 *                       state each name had when the bucket began; a list reads the partition
 *                       whole (ts is not the first clustering column: no slice on it).
 * Per read: wall, this process's CPU, Cassandra's CPU (/proc, --server-pid), requests.
 * Run: node bench/cassandra-floor.ts [--pods 3000] [--revisions 6] [--reps 20] [--server-pid PID]
 *        [--pad N] [--contact-points 127.0.0.1:9042] [--dc datacenter1]
 *   --pad N: store N-byte placeholder slim cells (they read as null) instead of real slim objects,
 *   to price the bytes a list reads.
 */
import { performance } from 'node:perf_hooks';
import cassandra from 'cassandra-driver';
import { slimForSummary } from '../core/present/slim.ts';
import { CassandraHistoryStore } from '../store/cassandra/index.ts';
import { churnStatus, isoMicros, makePod, prng } from './lib/generate.ts';
import { args, fmt, processCpuMs, summary } from './lib/stats.ts';

const a = args(process.argv.slice(2));
const PODS = Number(a.pods ?? 3000);
const REVS = Number(a.revisions ?? 6);
const REPS = Number(a.reps ?? 20);
const PID = a['server-pid'];
const CONTACT = (a['contact-points'] ?? '127.0.0.1:9042').split(',');
const DC = a.dc ?? 'datacenter1';
const KEYSPACE = `kt_floor_${Date.now().toString(36)}`;
const BUCKET = 6 * 3600e6;
const B0 = Math.floor(Date.UTC(2026, 11, 1) * 1000 / BUCKET) * BUCKET;
const MIN = 60e6;

const store = await CassandraHistoryStore.connect({ contactPoints: CONTACT, localDataCenter: DC, keyspace: KEYSPACE, migrate: true });
const client = new cassandra.Client({ contactPoints: CONTACT, localDataCenter: DC, keyspace: KEYSPACE });
await client.connect();
try {
  await client.execute(`CREATE TABLE IF NOT EXISTS summary_by_namespace (cluster text, gk text, namespace text, bucket bigint, name text, ts bigint, uid text, rvid text,
    rv text, op text, slim blob, PRIMARY KEY ((cluster, gk, namespace, bucket), name, ts, uid, rvid)) WITH CLUSTERING ORDER BY (name ASC, ts DESC, uid ASC, rvid ASC)`);
  const insRev = 'INSERT INTO revisions (cluster, gk, namespace, name, bucket, ts, uid, rvid, rv, op, grp, kind, api_version, resource, observed_at, source, codec, body, slim) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
  const insIdx = 'INSERT INTO revision_buckets (cluster, gk, namespace, name, bucket) VALUES (?, ?, ?, ?, ?)';
  const insNs = 'INSERT INTO summary_by_namespace (cluster, gk, namespace, bucket, name, ts, uid, rvid, rv, op, slim) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
  const rand = prng(3);
  const body = Buffer.alloc(217, 7); // the bench's mean revision body (a deflated patch)
  let slimBytes = 0;
  let rv = 1000;
  const writes: Promise<unknown>[] = [];
  const flush = async () => {
    await Promise.all(writes);
    writes.length = 0;
  };
  for (let i = 0; i < PODS; i++) {
    const name = `pod-${String(i).padStart(5, '0')}`;
    const uid = `uid-${i}`;
    const pod = makePod({ ns: 'big', name, uid, rv: rv++, rand, node: `node-${i % 50}` });
    for (let r = 0; r < REVS; r++) {
      const ts = B0 + MIN + Math.floor(((r + rand()) / REVS) * (BUCKET - 2 * MIN));
      const v = String(rv++);
      churnStatus(pod, Number(v), isoMicros(ts), rand);
      // --pad N: an N-byte placeholder (the JSON `null` and spaces) instead, to price the bytes.
      const slim = a.pad ? Buffer.from(`null${' '.repeat(Math.max(0, Number(a.pad) - 4))}`) : Buffer.from(JSON.stringify(slimForSummary(pod)));
      slimBytes += slim.length;
      writes.push(client.execute(insRev, ['c', 'Pod', 'big', name, B0, ts, uid, v, v, r ? 'MODIFIED' : 'ADDED', '', 'Pod', 'v1', 'pods', ts, 'audit', 2, body, slim], { prepare: true }));
      writes.push(client.execute(insNs, ['c', 'Pod', 'big', B0, name, ts, uid, v, v, r ? 'MODIFIED' : 'ADDED', slim], { prepare: true }));
    }
    writes.push(client.execute(insIdx, ['c', 'Pod', 'big', name, B0], { prepare: true }));
    if (writes.length > 256) await flush();
  }
  await flush();
  process.stderr.write(`wrote ${PODS} Pods × ${REVS} revisions\n`);

  const keys = Array.from({ length: PODS }, (_, i) => ({ cluster: 'c', gk: 'Pod', namespace: 'big', name: `pod-${String(i).padStart(5, '0')}` }));
  const perName = async (at: number) => {
    for (let i = 0; i < keys.length; i += 512) await store.summaryStatesAt(keys.slice(i, i + 512), at, 8);
  };
  const perNamespace = async (at: number) => {
    let rows = 0;
    let page: string | undefined;
    do {
      const rs = await client.execute('SELECT name, ts, uid, rv, op, slim FROM summary_by_namespace WHERE cluster = ? AND gk = ? AND namespace = ? AND bucket = ?', ['c', 'Pod', 'big', B0], { prepare: true, fetchSize: 5000, ...(page ? { pageState: page } : {}) });
      for (const row of rs.rows) if (Number(row.get('ts')) <= at) rows++;
      page = rs.pageState ?? undefined;
    } while (page);
    return rows;
  };
  type Cost = { wall: number; cpu: number; server: number };
  const costs: Record<'name' | 'namespace', Cost[]> = { name: [], namespace: [] };
  const measure = async (which: 'name' | 'namespace', run: () => Promise<unknown>) => {
    const [cpu, server, start] = [process.cpuUsage(), processCpuMs(PID), performance.now()];
    await run();
    const used = process.cpuUsage(cpu);
    costs[which].push({ wall: performance.now() - start, cpu: (used.user + used.system) / 1000, server: processCpuMs(PID) - server });
  };
  const before = store.requests;
  for (let rep = 0; rep < REPS + 2; rep++) {
    const at = B0 + MIN + Math.floor(rand() * (BUCKET - 2 * MIN));
    const order: ('name' | 'namespace')[] = rep % 2 ? ['name', 'namespace'] : ['namespace', 'name'];
    for (const w of order) await measure(w, () => (w === 'name' ? perName(at) : perNamespace(at)));
    if (rep === 1) for (const c of Object.values(costs)) c.length = 0; // two warm-up rounds
  }
  const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / Math.max(1, xs.length);
  const requestsPerName = (store.requests - before) / (REPS + 2);
  console.log(`Command: \`node bench/cassandra-floor.ts --pods ${PODS} --revisions ${REVS} --reps ${REPS}${a.pad ? ` --pad ${a.pad}` : ''}${PID ? ' --server-pid <pid>' : ''}\` (Node ${process.version}, ${new Date().toISOString()}).`);
  console.log(`${PODS.toLocaleString()} Pods of one namespace, ${REVS} revisions each in one 6 h bucket; slim cells ${fmt(slimBytes / (PODS * REVS), 0)} B on average${a.pad ? ' (placeholders)' : ''}. ${REPS} reads of each shape at the same random times, alternating which goes first, after 2 warm-up rounds.`);
  console.log('');
  console.log('| read shape | wall p50 / p99 ms | Node CPU ms (mean) | Cassandra CPU ms (mean) | requests |');
  console.log('|---|---|---|---|---|');
  for (const [label, w, req] of [['per name (today: summaryStatesAt, `name IN`, 100 names a request)', 'name', fmt(requestsPerName, 1)], ['per namespace (route 1: one partition, read whole)', 'namespace', `${Math.ceil((PODS * REVS) / 5000)} pages`]] as const) {
    const c = costs[w];
    const wall = summary(c.map((x) => x.wall));
    console.log(`| ${label} | ${fmt(wall.p50, 1)} / ${fmt(wall.p99, 1)} | ${fmt(mean(c.map((x) => x.cpu)), 1)} | ${PID ? fmt(mean(c.map((x) => x.server)), 1) : 'not measured'} | ${req} |`);
  }
} finally {
  await client.execute(`DROP KEYSPACE IF EXISTS ${KEYSPACE}`).catch(() => undefined);
  await client.shutdown();
  await store.close();
}
