/**
 * Issue 16's HTTP measure in one run: a client posting audit batches to the sink and querying,
 * against the server `serve` composes (cli/compose.ts createApp + createServer, embedded LMDB
 * store, audit token set, reads without authentication on loopback = trusted), listening on
 * 127.0.0.1; the client (undici, keep-alive, one connection) runs in the same process.
 * - ingest: each EventList batch POSTed to /v1/audit (a 2xx means durable), interleaved with the
 *   client's own JSON.parse of the same body text; records/s ingested ÷ records/s parsed, and the
 *   same by CPU of the process (client and server together: they share it);
 * - GET /v1/object as of T (random Pod, random T), interleaved with the same query in process;
 * - GET /v1/objects of the big namespace as of T, view=full and view=summary, each checked for the
 *   expected number of items, with the in-process list and its answer text beside it;
 * - after the server closed: the same lists from the bare LmdbHistoryStore (serve's is wrapped by
 *   cli/instrument.ts), and the same batches through AuditSink into a fresh bare store (as
 *   bench/history.ts): what the store alone gives. Results: bench/results/issue-16.md §17.
 * Run: node bench/http.ts [--records 60000] [--pods 6000] [--big 3000] [--queries 1000] [--lists 10] [--out file]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { Agent, request } from 'undici';
import { createApp, createServer, shutdown } from '../cli/compose.ts';
import { loadConfig } from '../cli/config.ts';
import { TRUSTED_VIEWER } from '../core/access.ts';
import { queriesAs } from '../core/viewed-queries.ts';
import { createHistoryQueries } from '../core/queries.ts';
import { presentListAt } from '../history-api/present.ts';
import { AuditSink } from '../ingester/audit/audit-sink.ts';
import { LmdbHistoryStore } from '../store/lmdb/lmdb-history-store.ts';
import { eachBatch, prng, workload } from './lib/generate.ts';
import { args, fmt, summary } from './lib/stats.ts';
import { spent, timed, type Spent } from './lib/timed.ts';

const a = args(process.argv.slice(2));
const RECORDS = Number(a.records ?? 60_000);
const PODS = Number(a.pods ?? 6_000);
const BIG = Math.min(Number(a.big ?? 3_000), PODS);
const QUERIES = Number(a.queries ?? 1_000);
const LISTS = Number(a.lists ?? 10);
const SPAN = 6 * 3600e6;
const TOKEN = 'bench-audit-token';
const load = () => loadavg().map((x) => fmt(x, 1)).join(' / ');
const loadBefore = load();
const started = performance.now();

const dir = mkdtempSync(join(tmpdir(), 'kubetime-bench-http-'));
// One log line per request, as `serve` writes them (to /dev/null here). The generated history is
// of January 2026: the sink's skew check (default 10 min from receipt) would refuse all of it.
const logger = pino({ level: 'info', base: { service: 'kubetime' } }, pino.destination({ dest: '/dev/null', sync: false }));
const app = await createApp(loadConfig({ KUBETIME_DATA_DIR: dir, KUBETIME_WATCH: 'false', KUBETIME_AUDIT_TOKEN: TOKEN, KUBETIME_AUDIT_MAX_SKEW: '1000d' }), { logger });
const server = createServer(app);
const base = await server.listen({ port: 0, host: '127.0.0.1' });
const agent = new Agent({ keepAliveTimeout: 60_000, connections: 1 });

async function get(path: string): Promise<string> {
  const res = await request(`${base}${path}`, { dispatcher: agent });
  const body = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`GET ${path}: HTTP ${res.statusCode} ${body.slice(0, 300)}`);
  return body;
}

// ───────────── ingest: POST each batch, interleaved with the client's JSON.parse of it ─────────────
const post = spent();
const parse = spent();
let records = 0;
let accepted = 0;
let inputBytes = 0;
let tCreated = 0; // a time at which every Pod exists
let tEnd = 0;
const WORKLOAD = { pods: PODS, records: RECORDS, namespaces: 20, bigNamespacePods: BIG, seed: 16, spanMicros: SPAN };
const gen = workload(WORKLOAD, 400);
const pods = await eachBatch(gen, async (batch, i) => {
  const { text, count, lastMicros } = batch;
  const steps = [
    async () => {
      const res = await timed(post, async () => {
        const r = await request(`${base}/v1/audit`, { method: 'POST', body: text, dispatcher: agent, headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` } });
        return { status: r.statusCode, body: await r.body.text() };
      });
      if (res.status < 200 || res.status > 299) throw new Error(`POST /v1/audit: HTTP ${res.status} ${res.body.slice(0, 300)}`);
      accepted += (JSON.parse(res.body) as { accepted: number }).accepted;
    },
    () => timed(parse, () => JSON.parse(text)),
  ];
  for (const step of i % 2 ? steps : steps.reverse()) await step();
  records += count;
  inputBytes += Buffer.byteLength(text);
  if (!tCreated && records >= PODS) tCreated = lastMicros + 1;
  tEnd = lastMicros;
  if (i % 50 === 0) process.stderr.write(`\r${records.toLocaleString()} records posted…`);
});
process.stderr.write('\n');
await app.writer.settled?.();
if (accepted !== records) throw new Error(`the sink accepted ${accepted} of ${records} changes`);
const ingestWallS = (performance.now() - started) / 1000;

// ───────────── queries: HTTP and in-process, interleaved ─────────────
const queries = queriesAs(app.queries, TRUSTED_VIEWER);
const rand = prng(61);
const randomAt = () => Math.floor((tCreated + rand() * (tEnd - tCreated)) / 1000); // ms: every Pod exists
const iso = (ms: number) => new Date(ms).toISOString();
const objHttp = spent();
const objIn = spent();
let objBytes = 0;
for (let i = 0; i < 50; i++) await get(`/v1/object?kind=pods&namespace=${pods[i]!.ns}&name=${pods[i]!.name}&at=${iso(Math.floor(tEnd / 1000))}`); // warm-up
for (let i = 0; i < QUERIES; i++) {
  const p = pods[Math.floor(rand() * pods.length)]!;
  const at = randomAt();
  const steps = [
    async () => {
      const body = await timed(objHttp, () => get(`/v1/object?kind=pods&namespace=${p.ns}&name=${p.name}&at=${iso(at)}`));
      objBytes += Buffer.byteLength(body);
      if (!body.includes(`"uid":"${p.uid}"`)) throw new Error(`GET /v1/object ${p.ns}/${p.name}: not the Pod asked for`);
    },
    async () => {
      const r = await timed(objIn, () => queries.objectAt({ kind: 'pods', namespace: p.ns, name: p.name, at: at * 1000 }));
      if (!r) throw new Error(`objectAt ${p.ns}/${p.name}: nothing`);
    },
  ];
  for (const step of i % 2 ? steps : steps.reverse()) await step();
}

type ListMode = 'httpFull' | 'httpSummary' | 'inFull' | 'inSummary';
const httpList = (view: 'full' | 'summary') => async (at: number) => {
  const body = await get(`/v1/objects?kind=pods&namespace=big&at=${iso(at)}&view=${view}&limit=5000`);
  return { body, count: () => { const r = JSON.parse(body) as { items: unknown[]; continue?: string }; return r.continue ? -1 : r.items.length; } };
};
// In process: the list and its answer text (what the route serializes), no HTTP.
const inList = (view: 'full' | 'summary', q = queries) => async (at: number) => {
  const r = await q.listAt({ kind: 'pods', namespace: 'big', at: at * 1000, limit: 5000, ...(view === 'summary' ? { summary: true } : {}) });
  const body = JSON.stringify(presentListAt(r, { view }));
  return { body, count: () => (r.continue ? -1 : r.items.length) };
};
const listModes: Record<ListMode, (at: number) => Promise<{ body: string; count: () => number }>> = {
  httpFull: httpList('full'), httpSummary: httpList('summary'), inFull: inList('full'), inSummary: inList('summary'),
};
const order = Object.keys(listModes) as ListMode[];
const lists: Record<ListMode, Spent> = { httpFull: spent(), httpSummary: spent(), inFull: spent(), inSummary: spent() };
const listBytes: Record<ListMode, number> = { httpFull: 0, httpSummary: 0, inFull: 0, inSummary: 0 };
const listTimes: number[] = [];
async function checkedList(into: Spent, list: (at: number) => Promise<{ body: string; count: () => number }>, at: number, what: string): Promise<number> {
  const { body, count } = await timed(into, () => list(at));
  // Untimed: a wrong answer must not produce a fast figure.
  const n = count();
  if (n !== BIG) throw new Error(`${what} list as of ${iso(at)}: ${n} items, expected ${BIG}`);
  return Buffer.byteLength(body);
}
const warmAt = Math.floor(tEnd / 1000);
for (const mode of order) await checkedList(spent(), listModes[mode], warmAt, mode); // warm-up, not counted
for (let i = 0; i < LISTS; i++) {
  const at = randomAt();
  listTimes.push(at);
  for (let k = 0; k < order.length; k++) {
    const mode = order[(i + k) % order.length]!;
    listBytes[mode] += await checkedList(lists[mode], listModes[mode], at, mode);
  }
}
const loadAfter = load();
await server.close();
await agent.close();
await shutdown(app);

// ───────────── the same data, in process on the bare store (no instrumentStore), after the server closed ─────────────
// serve's store is cli/instrument.ts instrumentStore(LmdbHistoryStore); these say what the store itself gives.
const bare = LmdbHistoryStore.open({ path: join(dir, 'store') });
const bareQueries = queriesAs(createHistoryQueries({ store: bare }), TRUSTED_VIEWER);
const bareLists = { full: spent(), summary: spent() };
for (const view of ['full', 'summary'] as const) await checkedList(spent(), inList(view, bareQueries), warmAt, `bare ${view}`); // warm-up
for (const at of listTimes) {
  for (const view of ['full', 'summary'] as const) await checkedList(bareLists[view], inList(view, bareQueries), at, `bare ${view}`);
}
await bare.close();
// Ingest of the same batches by the sink in process into a fresh bare store (as bench/history.ts), interleaved with JSON.parse.
const baseline = LmdbHistoryStore.open({ path: join(dir, 'baseline') });
const sink = new AuditSink({ writer: { write: async (r) => void (await baseline.append(r)) }, clock: { now: () => Date.now() * 1000 }, cluster: 'bench' });
const bareIngest = spent();
const bareParse = spent();
await eachBatch(workload(WORKLOAD, 400), async ({ text }, i) => {
  const steps = [() => timed(bareIngest, () => sink.ingestList(JSON.parse(text))), () => timed(bareParse, () => JSON.parse(text))];
  for (const step of i % 2 ? steps : steps.reverse()) await step();
});
await baseline.close();
rmSync(dir, { recursive: true, force: true });

// ───────────── report ─────────────
const ingestRate = records / (post.wall / 1000);
const parseRate = records / (parse.wall / 1000);
const obj = summary(objHttp.samples);
const objI = summary(objIn.samples);
const row = (what: string, mode: ListMode, target: string) => {
  const s = summary(lists[mode].samples);
  return `| ${what} | p50 ${fmt(s.p50, 0)} ms, **p99 ${fmt(s.p99, 0)} ms** (max of ${s.n}); ${fmt(listBytes[mode] / LISTS / BIG, 0)} B per Pod (${fmt(listBytes[mode] / LISTS / 2 ** 20, 1)} MiB); CPU ${fmt(lists[mode].cpu / LISTS, 0)} ms a list | ${target} |`;
};
const bareRow = (what: string, sp: Spent) => {
  const s = summary(sp.samples);
  return `| ${what} | p50 ${fmt(s.p50, 0)} ms, **p99 ${fmt(s.p99, 0)} ms**; CPU ${fmt(sp.cpu / s.n, 0)} ms a list | |`;
};
const command = `node bench/http.ts --records ${RECORDS} --pods ${PODS} --big ${BIG} --queries ${QUERIES} --lists ${LISTS}`;
const out = [
  `Command: \`${command}\` (Node ${process.version}, ${new Date().toISOString().slice(0, 16)}Z, 2-core machine shared with other engineers' tests; load average 1/5/15 min ${loadBefore} at the start, ${loadAfter} at the end; wall time ${fmt((performance.now() - started) / 1000, 0)} s, of which generating and posting the batches ${fmt(ingestWallS, 0)} s).`,
  `Input: ${records.toLocaleString()} audit events (${PODS.toLocaleString()} Pod creates, then status patches) in ${Math.ceil(records / 400)} EventList batches of 400, ${fmt(inputBytes / 2 ** 20, 0)} MiB of JSON; ${BIG.toLocaleString()} Pods in namespace \`big\`, the rest in 20 others; 6 h of history. The sink accepted ${accepted.toLocaleString()} changes.`,
  '',
  '| measure (HTTP: undici client, keep-alive, one connection, same process) | result | target |',
  '|---|---|---|',
  `| POST /v1/audit, each batch until its 2xx (durable) | ${fmt(ingestRate, 0)} records/s, ${fmt(inputBytes / 2 ** 20 / (post.wall / 1000), 1)} MiB/s | |`,
  `| the client's JSON.parse of the same bodies (interleaved) | ${fmt(parseRate, 0)} records/s | |`,
  `| ratio ingest ÷ JSON.parse (wall) | **${fmt(ingestRate / parseRate, 3)}** | ≥ 0.4 |`,
  `| the same by CPU of the process (client + server + lmdb threads): CPU ms per record, JSON.parse ${fmt(parse.cpu / records, 4)} ÷ POST ${fmt(post.cpu / records, 4)} | **${fmt(parse.cpu / post.cpu, 3)}** | |`,
  `| GET /v1/object as of T (${obj.n.toLocaleString()} random Pods and times; ${fmt(objBytes / obj.n / 1024, 1)} KiB answers) | p50 ${fmt(obj.p50, 3)} ms, **p99 ${fmt(obj.p99, 3)} ms**, max ${fmt(obj.max, 1)} ms; CPU ${fmt(objHttp.cpu / obj.n, 3)} ms a query | p99 ≤ 5 ms |`,
  `| the same queries in process (core/queries.ts objectAt, interleaved) | p50 ${fmt(objI.p50, 3)} ms, p99 ${fmt(objI.p99, 3)} ms, max ${fmt(objI.max, 1)} ms; CPU ${fmt(objIn.cpu / objI.n, 3)} ms a query | |`,
  row(`GET /v1/objects?namespace=big&view=full, ${BIG.toLocaleString()} Pods as of T (${LISTS} random times)`, 'httpFull', 'p99 ≤ 250 ms'),
  row('GET /v1/objects … &view=summary (same times)', 'httpSummary', 'p99 ≤ 60 ms, ≤ 150 B per Pod'),
  row('in process: listAt + JSON.stringify(presentListAt(view full)) (same times, interleaved)', 'inFull', ''),
  row('in process: listAt summary + its answer text (same times, interleaved)', 'inSummary', ''),
  bareRow('after the server closed, the bare LmdbHistoryStore in process: listAt full + answer text (same times)', bareLists.full),
  bareRow('the same, summary view (slim rows: `summaryStatesAt`)', bareLists.summary),
  `| after, the sink in process on a fresh bare store (as bench/history.ts), the same batches: ingest ÷ JSON.parse, wall / by CPU | ${fmt(records / (bareIngest.wall / 1000), 0)} records/s ÷ ${fmt(records / (bareParse.wall / 1000), 0)} = **${fmt(bareParse.wall / bareIngest.wall, 3)}**; CPU ms per record ${fmt(bareParse.cpu / records, 4)} ÷ ${fmt(bareIngest.cpu / records, 4)} = **${fmt(bareParse.cpu / bareIngest.cpu, 3)}** | |`,
  '',
].join('\n');
process.stdout.write(out);
if (a.out) writeFileSync(a.out, out);
