/**
 * Full lists as of T from materialized text (issue 16, deliverable 1, the full-list part): one
 * embedded store, one namespace of Pods with status churn; then at random times the namespace
 * listed in view=raw and view=full, each to the bytes GET /v1/objects sends, three ways:
 *   before: every object rebuilt, presentListAt + JSON.stringify of the answer (the path before);
 *   cold:   listAt({ text }) with the text cache emptied first (a full copy's stored text unparsed,
 *           other revisions rebuilt and stringified one by one, joined by presentListAtText);
 *   warm:   the same list asked again (every text from the cache: no rebuild, no parse);
 *   near:   then the list a minute later (the revisions that changed in between are rebuilt).
 * The cold and warm bytes are compared with before's on every list (the run fails if they differ).
 * Then the same over HTTP: `buildServer` over the same store listening on 127.0.0.1, an undici
 * client in the same process; "before" is a second server whose queries never answer text; over
 * HTTP also the Kubernetes face's Table of the namespace (what `kubectl get pods` asks: cells and
 * each row's metadata; `table`).
 * Run: node bench/list-text.ts [--records 30000] [--pods 3000] [--lists 20] [--out file]
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { Agent, request } from 'undici';
import { TRUSTED_VIEWER } from '../core/access.ts';
import { createHistoryQueries } from '../core/queries.ts';
import type { HistoryQueries } from '../core/query-types.ts';
import { formatTime } from '../core/time.ts';
import { presentListAt, presentListAtText } from '../history-api/present.ts';
import { buildServer } from '../history-api/server.ts';
import { AuditSink } from '../ingester/audit/audit-sink.ts';
import { LmdbHistoryStore } from '../store/lmdb/lmdb-history-store.ts';
import { eachBatch, prng, workload } from './lib/generate.ts';
import { args, fmt, summary } from './lib/stats.ts';
import { cpuMs as cpu } from './lib/ingest-ab.ts';

const a = args(process.argv.slice(2));
const RECORDS = Number(a.records ?? 30_000);
const PODS = Number(a.pods ?? 3_000);
const LISTS = Number(a.lists ?? 20);
const BIG = Math.min(3000, PODS);
const SPAN = 24 * 3600e6;
const DIR = a.dir ?? join('bench', '.data', 'list-text');

rmSync(DIR, { recursive: true, force: true });
mkdirSync(DIR, { recursive: true });
const store = LmdbHistoryStore.open({ path: DIR });
const sink = new AuditSink({ writer: { write: async () => undefined }, clock: { now: () => Date.now() * 1000 }, cluster: 'bench' });
let records = 0;
let t0 = 0;
let tEnd = 0;
await eachBatch(workload({ pods: PODS, records: RECORDS, namespaces: 47, bigNamespacePods: BIG, seed: 7, spanMicros: SPAN }, 400), async (batch, i) => {
  await store.append(sink.convert((JSON.parse(batch.text) as { items: unknown[] }).items as never).records);
  records += batch.count;
  if (!t0) t0 = batch.lastMicros;
  tEnd = batch.lastMicros;
  if (i % 25 === 0) process.stderr.write(`\r${records.toLocaleString()} records…`);
});
process.stderr.write('\n');

const queries = createHistoryQueries({ store });
const VIEWS = ['raw', 'full'] as const;
/** Over HTTP also `table`: the Kubernetes face's Table of the namespace. */
const HTTP_VIEWS = ['raw', 'full', 'table'] as const;
type View = (typeof HTTP_VIEWS)[number];
const PATHS = ['before', 'cold', 'warm', 'near'] as const;
const NEAR = 60e6;
type Path = (typeof PATHS)[number];
type Samples = Record<View, Record<Path, { ms: number[]; cpu: number[]; bytes: number }>>;
const samples = (): Samples => Object.fromEntries(HTTP_VIEWS.map((v) => [v, Object.fromEntries(PATHS.map((p) => [p, { ms: [], cpu: [], bytes: 0 }]))])) as unknown as Samples;
const inProcess = samples();
const overHttp = samples();
let listed = 0;

async function timedInto(into: { ms: number[]; cpu: number[]; bytes: number }, run: () => Promise<Uint8Array | string>): Promise<Buffer> {
  const s = performance.now();
  const c = cpu();
  const body = await run();
  into.cpu.push(cpu() - c);
  into.ms.push(performance.now() - s);
  const bytes = Buffer.from(body);
  into.bytes = bytes.length;
  return bytes;
}

const list = (at: number, view: 'raw' | 'full', text: boolean) => queries.listAt({ viewer: TRUSTED_VIEWER, kind: 'pods', namespace: 'big', at, limit: 5000, ...(text ? { text: view } : {}) });
const rand = prng(99);
const times = Array.from({ length: LISTS }, () => tEnd - NEAR - Math.floor(rand() * (tEnd - t0) * 0.9));
for (const [i, at] of times.entries()) {
  for (const view of VIEWS) {
    const s = inProcess[view];
    const beforeFirst = i % 2 === 0;
    const before = async () => timedInto(s.before, async () => {
      const answer = await list(at, view, false);
      listed = answer.items.length;
      return JSON.stringify(presentListAt(answer, { view }));
    });
    const text = async (into: Path) => timedInto(s[into], async () => {
      const answer = await list(at, view, true);
      return presentListAtText({ ...answer, texts: answer.texts! }, { view });
    });
    const want = beforeFirst ? await before() : undefined;
    store.clearTextCache();
    const cold = await text('cold');
    const warm = await text('warm');
    const expected = want ?? (await before());
    if (!cold.equals(expected) || !warm.equals(expected)) throw new Error(`the text list differs from the rebuilt one at ${at} (${view})`);
    const near = await timedInto(s.near, async () => {
      const answer = await list(at + NEAR, view, true);
      return presentListAtText({ ...answer, texts: answer.texts! }, { view });
    });
    const nearAnswer = await list(at + NEAR, view, false);
    if (!near.equals(Buffer.from(JSON.stringify(presentListAt(nearAnswer, { view }))))) throw new Error(`the text list differs from the rebuilt one at ${at + NEAR} (${view})`);
  }
}
const cacheAfter = store.textCache!;

// The same over HTTP: one server answering text (the store's cache), one never asked for text.
const logger = pino({ level: 'silent' }) as unknown as FastifyBaseLogger;
const fromObjects: HistoryQueries = { ...queries, listAt: (r) => queries.listAt({ ...r, text: undefined }) };
const servers = { text: buildServer({ queries, clock: { now: () => tEnd }, logger }), before: buildServer({ queries: fromObjects, clock: { now: () => tEnd }, logger }) };
const bases = { text: await servers.text.listen({ port: 0, host: '127.0.0.1' }), before: await servers.before.listen({ port: 0, host: '127.0.0.1' }) };
const agent = new Agent({ connections: 1 });
const TABLE = { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' };
const get = async (base: string, at: number, view: View) => {
  const res = view === 'table'
    ? await request(`${base}/k8s/at/${encodeURIComponent(formatTime(at))}/api/v1/namespaces/big/pods`, { dispatcher: agent, headers: TABLE })
    : await request(`${base}/v1/objects?kind=pods&namespace=big&at=${encodeURIComponent(formatTime(at))}&view=${view}&limit=5000`, { dispatcher: agent });
  if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
  return Buffer.from(await res.body.arrayBuffer());
};
for (const view of HTTP_VIEWS) await get(bases.text, times[0]!, view); // one untimed warm-up each
for (const view of HTTP_VIEWS) await get(bases.before, times[0]!, view);
for (const [i, at] of times.entries()) {
  for (const view of HTTP_VIEWS) {
    const s = overHttp[view];
    const want = i % 2 === 0 ? await timedInto(s.before, () => get(bases.before, at, view)) : undefined;
    store.clearTextCache();
    const cold = await timedInto(s.cold, () => get(bases.text, at, view));
    const warm = await timedInto(s.warm, () => get(bases.text, at, view));
    const expected = want ?? (await timedInto(s.before, () => get(bases.before, at, view)));
    if (!cold.equals(expected) || !warm.equals(expected)) throw new Error(`the text list over HTTP differs at ${at} (${view})`);
    const near = await timedInto(s.near, () => get(bases.text, at + NEAR, view));
    if (!near.equals(await get(bases.before, at + NEAR, view))) throw new Error(`the text list over HTTP differs at ${at + NEAR} (${view})`);
  }
}
await agent.close();
await servers.text.close();
await servers.before.close();
await store.close();
rmSync(DIR, { recursive: true, force: true });

const mean = (xs: number[]) => xs.reduce((n, x) => n + x, 0) / xs.length;
const rows = (s: Samples, where: string, views: readonly View[]) => views.flatMap((view) => PATHS.map((p) => {
  const w = summary(s[view][p].ms);
  const c = summary(s[view][p].cpu);
  const b = summary(s[view].before.ms);
  const bc = summary(s[view].before.cpu);
  return `| ${where}, ${view === 'table' ? "the Kubernetes face's Table" : `view=${view}`}, ${p} | ${fmt(w.p50, 1)} / ${fmt(w.p99, 1)} | ${fmt(c.p50, 1)} / ${fmt(mean(s[view][p].cpu), 1)} | ${fmt(w.p50 / b.p50, 3)} / ${fmt(w.p99 / b.p99, 3)} | ${fmt(c.p50 / bc.p50, 3)} | ${fmt(s[view][p].bytes / 2 ** 20, 2)} MiB |`;
}));
const lines = [
  `Command: \`node bench/list-text.ts --records ${RECORDS} --pods ${PODS} --lists ${LISTS}\` (Node ${process.version}, ${new Date().toISOString()}, 2-core shared machine).`,
  `Store: ${records.toLocaleString()} audit records of ${PODS.toLocaleString()} Pods (namespace \`big\` ${BIG.toLocaleString()} Pods), default options (text cache ${fmt(cacheAfter.maxBytes / 2 ** 20, 0)} MiB). Lists of ${listed.toLocaleString()} Pods at ${LISTS} random times; at each, before / cold (cache emptied) / warm (asked again) / near (T + 1 min, after warm), \`before\` first at even times and last at odd ones; every cold, warm and near answer equalled before's, byte for byte. Cache after the in-process lists: ${cacheAfter.entries.toLocaleString()} texts, ${fmt(cacheAfter.bytes / 2 ** 20, 1)} MiB.`,
  ``,
  `| list (3,000 Pods) | wall p50 / p99 ms | CPU ms p50 / mean | wall ÷ before (p50 / p99) | CPU ÷ before (p50) | answer |`,
  `|---|---|---|---|---|---|`,
  ...rows(inProcess, 'in process', VIEWS),
  ...rows(overHttp, 'HTTP', HTTP_VIEWS),
  ``,
];
const out = lines.join('\n');
process.stdout.write(out);
if (a.out) writeFileSync(a.out, out);
