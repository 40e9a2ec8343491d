/**
 * What the HTTP path adds to "one object as of T" (issue 16): the same random (Pod, T) queries,
 * interleaved in one process, (a) in-process through core/queries.ts, (b) through GET /v1/object
 * on a listening server (undici client, keep-alive) logging one line per request to a file as
 * `serve` does, (c) the same with the logger silent; plus the garbage collector's pauses while
 * each ran (PerformanceObserver 'gc'), and JSON.stringify of the response alone.
 * Run: node bench/http-object.ts [--records 20000] [--pods 4000] [--queries 3000] [--out file]
 */
import { TRUSTED_VIEWER } from '../core/access.ts';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { Agent, request } from 'undici';
import { createHistoryQueries } from '../core/queries.ts';
import { systemClock } from '../core/time.ts';
import { buildServer } from '../history-api/server.ts';
import { AuditSink } from '../ingester/audit/audit-sink.ts';
import { LmdbHistoryStore } from '../store/lmdb/lmdb-history-store.ts';
import { eachBatch, prng, workload } from './lib/generate.ts';
import { args, fmt, summary } from './lib/stats.ts';

const a = args(process.argv.slice(2));
const RECORDS = Number(a.records ?? 20_000);
const PODS = Number(a.pods ?? 4_000);
const QUERIES = Number(a.queries ?? 3_000);
const DIR = join('bench', '.data', 'http-object');
rmSync(DIR, { recursive: true, force: true });
mkdirSync(DIR, { recursive: true });

const store = LmdbHistoryStore.open({ path: join(DIR, 'store') });
const sink = new AuditSink({ writer: { write: async () => undefined }, clock: { now: () => Date.now() * 1000 }, cluster: 'bench' });
let t0 = 0;
let tEnd = 0;
const gen = workload({ pods: PODS, records: RECORDS, namespaces: 20, bigNamespacePods: Math.min(1000, PODS), seed: 3, spanMicros: 6 * 3600e6 }, 400);
const pods = await eachBatch(gen, async (batch) => {
  await store.append(sink.convert((JSON.parse(batch.text) as { items: unknown[] }).items).records);
  if (!t0) t0 = batch.lastMicros;
  tEnd = batch.lastMicros;
});
const queries = createHistoryQueries({ store });
const servers = {
  logged: buildServer({ queries, clock: systemClock, logger: pino({ level: 'info' }, pino.destination({ dest: join(DIR, 'requests.log'), sync: false })) }),
  silent: buildServer({ queries, clock: systemClock, logger: pino({ level: 'silent' }) }),
};
const urls: Record<keyof typeof servers, string> = { logged: '', silent: '' };
for (const k of ['logged', 'silent'] as const) urls[k] = await servers[k].listen({ port: 0, host: '127.0.0.1' });
const agent = new Agent({ keepAliveTimeout: 60_000, connections: 1 });

type Mode = 'inproc' | 'logged' | 'silent' | 'stringify';
const MODES: Mode[] = ['inproc', 'logged', 'silent', 'stringify'];
const samples: Record<Mode, number[]> = { inproc: [], logged: [], silent: [], stringify: [] };
const gc: Record<Mode, number[]> = { inproc: [], logged: [], silent: [], stringify: [] };
// GC entries arrive late: each is put on the query whose [start, end] holds its start time.
const windows: { mode: Mode; start: number; end: number }[] = [];
const gcEntries: { start: number; duration: number }[] = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcEntries.push({ start: e.startTime, duration: e.duration });
}).observe({ entryTypes: ['gc'] });

const rand = prng(17);
let bytes = 0;
for (let i = 0; i < QUERIES; i++) {
  const p = pods[Math.floor(rand() * pods.length)]!;
  const atMicros = tEnd - Math.floor(rand() * (tEnd - t0) * 0.2); // late: every Pod exists
  const at = new Date(Math.floor(atMicros / 1000)).toISOString();
  for (let k = 0; k < MODES.length; k++) {
    const mode = MODES[(i + k) % MODES.length]!;
    const s = performance.now();
    if (mode === 'inproc') await queries.objectAt({ viewer: TRUSTED_VIEWER, kind: 'pods', namespace: p.ns, name: p.name, at: Math.floor(atMicros / 1000) * 1000 });
    else if (mode === 'stringify') {
      const r = await queries.objectAt({ viewer: TRUSTED_VIEWER, kind: 'pods', namespace: p.ns, name: p.name, at: Math.floor(atMicros / 1000) * 1000 });
      const t = performance.now();
      bytes += JSON.stringify(r).length;
      samples.stringify.push(performance.now() - t);
      windows.push({ mode, start: t, end: performance.now() });
      continue;
    } else {
      const res = await request(`${urls[mode]}/v1/object?kind=pods&namespace=${p.ns}&name=${p.name}&at=${at}`, { dispatcher: agent });
      const body = await res.body.text();
      if (res.statusCode !== 200 && res.statusCode !== 404) throw new Error(`HTTP ${res.statusCode}: ${body.slice(0, 200)}`);
    }
    samples[mode].push(performance.now() - s);
    windows.push({ mode, start: s, end: performance.now() });
  }
}
await new Promise((r) => setTimeout(r, 100));
for (const e of gcEntries) {
  const w = windows.find((x) => x.start <= e.start && e.start <= x.end);
  if (w) gc[w.mode].push(e.duration);
}
for (const s of Object.values(servers)) await s.close();
await agent.close();
await store.close();
rmSync(DIR, { recursive: true, force: true });

const label: Record<Mode, string> = {
  inproc: 'in-process, core/queries.ts objectAt',
  logged: 'GET /v1/object, one log line per request (as serve)',
  silent: 'GET /v1/object, logger silent',
  stringify: 'JSON.stringify of the answer alone',
};
const rows = MODES.map((m) => {
  const s = summary(samples[m]);
  const g = summary(gc[m]);
  return `| ${label[m]} | ${fmt(s.p50, 3)} | ${fmt(s.p99, 3)} | ${fmt(s.max, 1)} | ${gc[m].length} / ${fmt(gc[m].reduce((x, y) => x + y, 0), 0)} ms / max ${fmt(g.max || 0, 1)} ms |`;
});
const out = [
  `Command: \`node ${process.execArgv.join(' ')} bench/http-object.ts --records ${RECORDS} --pods ${PODS} --queries ${QUERIES}\` (Node ${process.version}, ${new Date().toISOString()}, 2-core shared machine). Answers of ${fmt(bytes / QUERIES / 1024, 1)} KiB on average.`,
  '',
  '| path (interleaved, same queries) | p50 ms | p99 ms | max ms | GC pauses while it ran: count / total / max |',
  '|---|---|---|---|---|',
  ...rows,
  '',
].join('\n');
process.stdout.write(out);
if (a.out) writeFileSync(a.out, out);
