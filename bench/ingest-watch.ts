/**
 * Benchmark of watch ingestion (issue 8), the simulator serving from a child process over HTTP:
 * - peak: records/s of the full ingest path (InformerSource → WritePipeline → SpoolingWriter →
 *   LmdbHistoryStore, durable) replaying a watch backlog, against the floor of the same stream
 *   fetched, split and JSON-parsed, then discarded — interleaved rounds in this process;
 * - lag: from a change (at `--lag-rate`/s over `--lag-pods` pods) to its visibility through the
 *   history queries (objectAt), polled every 5 ms;
 * - rss: the ingester's process RSS while tracking `--rss-pods` live pods, in a fresh process,
 *   with the embedded store in-process (as `kubetime serve` runs) and with a discarding writer.
 * Run: node bench/ingest-watch.ts [--peak-pods 5000 --peak-changes 45000 --rounds 3]
 *      [--lag-pods 10000 --lag-rate 50 --lag-seconds 60] [--rss-pods 50000] [--rss-variants discard,store]
 *      [--only peak,lag,rss]
 *      [--out bench/results/ingest-watch.md]
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { KubeConfig } from '@kubernetes/client-node';
import { createHistoryQueries } from '../core/queries.ts';
import { TRUSTED_VIEWER } from '../core/access.ts';
import { queriesAs } from '../core/viewed-queries.ts';
import type { ChangeRecord } from '../core/record.ts';
import { systemClock } from '../core/time.ts';
import { ClientNodeKubeApi } from '../ingester/watch/client-node-kube-api.ts';
import { startIngester } from '../ingester/index.ts';
import { InformerSource } from '../ingester/watch/informer-source.ts';
import { IngestMetrics } from '../ingester/metrics.ts';
import { WritePipeline } from '../ingester/write/pipeline.ts';
import { resourceInfo } from '../ingester/records.ts';
import { SpoolingWriter } from '../ingester/write/spooling-writer.ts';
import type { KubeApi } from '../ingester/watch/kube-api.ts';
import { ACTORS, by, kubelet } from '../simulator/actors.ts';
import { startSimulator } from '../simulator/index.ts';
import { LmdbHistoryStore } from '../store/lmdb/lmdb-history-store.ts';
import { churnStatus, makePod, prng } from './lib/generate.ts';
import { args, fmt, summary } from './lib/stats.ts';

const a = args(process.argv.slice(2));
const SELF = new URL(import.meta.url).pathname;
const DIR = a.dir ?? join('bench', '.data', 'ingest-watch');
const PODS_RES = resourceInfo({ group: '', version: 'v1', kind: 'Pod', resource: 'pods', namespaced: true, shortNames: ['po'] });
const mb = (b: number) => fmt(b / 2 ** 20, 0);
type Msg = Record<string, any>;

// ───────────── child roles ─────────────

async function simRole(): Promise<void> {
  // Bookmarks are rare here: a replayed backlog beyond the simulator's 64 MB live-send buffer would
  // get the watch closed as a slow consumer at the first bookmark sent after it.
  const sim = await startSimulator({ autoStep: false, bootstrap: false, groundTruth: false, compactionWindow: { revisions: 1e9 }, bookmarkIntervalMs: 600_000, scenario: { seed: 1, widgets: false } });
  const c = sim.cluster;
  const rand = prng(5);
  const pods: { ns: string; name: string; node: string }[] = [];
  const send = (m: Msg) => process.send!(m);
  // One committed status change (an update that changes nothing commits no revision: retry).
  const churn = () => {
    for (;;) {
      const p = pods[Math.floor(rand() * pods.length)]!;
      const before = c.resourceVersion;
      const o = c.update('Pod', p.ns, p.name, (obj) => churnStatus(obj as never, 0, new Date().toISOString(), rand), by(kubelet(p.node), 'patch', 'status'));
      if (c.resourceVersion !== before) return { ns: p.ns, name: p.name, rv: String((o.metadata as Msg).resourceVersion) };
    }
  };
  process.on('message', (m: Msg) => {
    if (m.cmd === 'populate') {
      const rv0 = c.resourceVersion;
      for (let i = 0; i < 20; i++) if (!c.get('Namespace', '', `ns-${i}`)) c.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `ns-${i}` } }, by(ACTORS.namespaceController, 'create'));
      for (let i = 0; i < m.pods; i++) {
        const p = { ns: `ns-${i % 20}`, name: `app${i % 40}-7d9f8c-${(pods.length).toString(36).padStart(6, '0')}`, node: `node-${i % 200}` };
        c.create(makePod({ ...p, uid: '', rv: 0, rand }) as never, by(ACTORS.replicaSetController, 'create'));
        pods.push(p);
      }
      send({ done: 'populate', rv0, rv: c.resourceVersion });
    } else if (m.cmd === 'churn') {
      for (let i = 0; i < m.count; i++) churn();
      send({ done: 'churn', rv: c.resourceVersion });
    } else if (m.cmd === 'rate') {
      const start = performance.now();
      let done = 0;
      const timer = setInterval(() => {
        const due = Math.min(m.total, Math.floor(((performance.now() - start) / 1000) * m.perSecond));
        const changes: Msg[] = [];
        for (; done < due; done++) changes.push({ ...churn(), at: Date.now() });
        if (changes.length) send({ changes });
        if (done >= m.total) {
          clearInterval(timer);
          send({ done: 'rate' });
        }
      }, 10);
    }
  });
  send({ ready: sim.kubeconfigPath });
}

/** Tracks `pods` live pods with the whole ingester; reports RSS. `variant` store|discard. */
async function rssRole(): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(a.kubeconfig!);
  const api = new ClientNodeKubeApi({ kubeConfig: kc });
  const dir = join(DIR, `rss-${a.variant}`);
  rmSync(dir, { recursive: true, force: true });
  const lmdb = a.variant === 'store' ? LmdbHistoryStore.open({ path: join(dir, 'store') }) : undefined;
  const empty = { lifetimes: async function* () {}, revisions: async function* () {} };
  const store = lmdb ?? (empty as never);
  const writer = lmdb ? new WritePipeline({ sink: await SpoolingWriter.open({ store: lmdb, dir: join(dir, 'spool') }) }) : { write: async () => {} };
  const baseline = process.memoryUsage.rss();
  let peak = 0;
  const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 50);
  const t0 = performance.now();
  const ing = startIngester({ api, cluster: 'bench', writer, store });
  const tracked = () => ing.status().sources.reduce((n, s) => n + s.tracked, 0);
  while (!(ing.status().sources.length && ing.status().sources.every((s) => s.state === 'watching'))) await new Promise((r) => setTimeout(r, 100));
  const listS = (performance.now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, 2000));
  globalThis.gc?.();
  await new Promise((r) => setTimeout(r, 500));
  const mu = process.memoryUsage();
  clearInterval(sample);
  const status = readFileSync('/proc/self/status', 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN) * 1024;
  const result: Msg = { variant: a.variant, tracked: tracked(), peak, steady: mu.rss, anon: kb('RssAnon'), file: kb('RssFile'), heapUsed: mu.heapUsed, heapTotal: mu.heapTotal, baseline, listS };
  await ing.stop();
  if (lmdb) {
    // A restart: every source rebuilds its state from the store, lists and reconciles.
    const metrics = new IngestMetrics();
    const t1 = performance.now();
    const again = startIngester({ api, cluster: 'bench', writer, store, metrics });
    while (!(again.status().sources.length && again.status().sources.every((s) => s.state === 'watching'))) await new Promise((r) => setTimeout(r, 100));
    result.restartS = (performance.now() - t1) / 1000;
    result.restartWritten = metrics.recordsTotal.get({ source: 'relist' }) + metrics.recordsTotal.get({ source: 'watch' });
    await again.stop();
  }
  process.send!({ rss: result });
  process.exit(0);
}

// ───────────── parent ─────────────

function child(role: string, extra: string[] = [], execArgv: string[] = []): { proc: ChildProcess; next: (key: string) => Promise<Msg>; on: (f: (m: Msg) => void) => void } {
  const proc = fork(SELF, ['--role', role, ...extra], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const queue: Msg[] = [];
  let waiter: (() => void) | undefined;
  const listeners: ((m: Msg) => void)[] = [];
  proc.on('message', (m: Msg) => {
    listeners.forEach((f) => f(m));
    queue.push(m);
    waiter?.();
  });
  const next = async (key: string): Promise<Msg> => {
    for (;;) {
      const i = queue.findIndex((m) => key in m);
      if (i >= 0) return queue.splice(i, 1)[0]!;
      await new Promise<void>((r) => (waiter = r));
    }
  };
  return { proc, next, on: (f) => listeners.push(f) };
}

function kubeApi(path: string): ClientNodeKubeApi {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return new ClientNodeKubeApi({ kubeConfig: kc });
}

async function floorRun(api: KubeApi, rv0: number, events: number): Promise<number> {
  const ctl = new AbortController();
  const t0 = performance.now();
  let n = 0;
  for await (const batch of api.watch('/api/v1/pods', { resourceVersion: rv0, allowWatchBookmarks: true }, ctl.signal)) {
    for (const e of batch) if (e.type !== 'BOOKMARK') n++;
    if (n >= events) break;
  }
  ctl.abort();
  return (performance.now() - t0) / 1000;
}

/** One ingest run into a fresh store (`lmdb`) or a store that discards (`null`); returns seconds and the share spent in append. */
async function ingestRun(api: ClientNodeKubeApi, rv0: number, events: number, dir: string, kind: 'lmdb' | 'null'): Promise<{ s: number; appendShare: number }> {
  rmSync(dir, { recursive: true, force: true });
  const lmdb = kind === 'lmdb' ? LmdbHistoryStore.open({ path: join(dir, 'store') }) : undefined;
  let appendMs = 0;
  const store = {
    lifetimes: async function* () {},
    revisions: async function* () {},
    append: async (r: readonly ChangeRecord[]) => {
      const t = performance.now();
      const out = lmdb ? await lmdb.append(r) : { inserted: r.length, merged: 0, duplicates: 0 };
      appendMs += performance.now() - t;
      return out;
    },
  };
  const metrics = new IngestMetrics();
  const spool = await SpoolingWriter.open({ store, dir: join(dir, 'spool'), metrics });
  const writer = new WritePipeline({ sink: spool, metrics });
  // The list the source starts with is served exactly as of rv0, so its watch replays the backlog.
  const atRv0: KubeApi = { get: (p, q, s) => api.get(p, { ...q, resourceVersion: rv0, resourceVersionMatch: 'Exact' }, s), watch: (p, q, s) => api.watch(p, q, s) };
  const source = new InformerSource({ api: atRv0, cluster: 'bench', resource: PODS_RES, writer, store, metrics });
  const t0 = performance.now();
  source.start();
  while (metrics.recordsTotal.get({ source: 'watch' }) + metrics.recordsTotal.get({ source: 'relist' }) < events) await new Promise((r) => setTimeout(r, 2));
  const s = (performance.now() - t0) / 1000;
  await source.stop();
  await writer.close();
  await spool.close();
  await lmdb?.close();
  return { s, appendShare: appendMs / 1000 / s };
}

async function peak(lines: string[]): Promise<void> {
  const pods = Number(a['peak-pods'] ?? 5000);
  const changes = Number(a['peak-changes'] ?? 45000);
  const rounds = Number(a.rounds ?? 3);
  const sim = child('sim');
  const kubeconfig = (await sim.next('ready')).ready as string;
  sim.proc.send({ cmd: 'populate', pods });
  const { rv0 } = await sim.next('done');
  sim.proc.send({ cmd: 'churn', count: changes });
  await sim.next('done');
  const events = pods + changes;
  const api = kubeApi(kubeconfig);
  const floor: number[] = [];
  const ingest: number[] = [];
  const nul: number[] = [];
  const share: number[] = [];
  await floorRun(api, rv0, events); // warm-up
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? ['ingest', 'null', 'floor'] : ['floor', 'ingest', 'null'];
    for (const what of order) {
      if (what === 'floor') floor.push(events / (await floorRun(api, rv0, events)));
      else {
        const run = await ingestRun(api, rv0, events, join(DIR, `peak-${what}`), what === 'ingest' ? 'lmdb' : 'null');
        (what === 'ingest' ? ingest : nul).push(events / run.s);
        if (what === 'ingest') share.push(run.appendShare);
      }
      const last = (what === 'floor' ? floor : what === 'ingest' ? ingest : nul).at(-1)!;
      process.stderr.write(`peak round ${r + 1}: ${what} ${fmt(last, 0)} records/s\n`);
    }
  }
  const best = (xs: number[]) => Math.max(...xs);
  const row = (name: string, xs: number[]) => `| ${name} | ${xs.map((x) => fmt(x, 0)).join(' / ')} | ${fmt(best(xs), 0)} | ${fmt(best(xs) / best(floor), 2)} |`;
  lines.push('## Peak ingest vs parse-and-discard floor', '',
    `Backlog: ${pods.toLocaleString()} Pod creations + ${changes.toLocaleString()} status changes (${events.toLocaleString()} watch events, Pods of 4–10 KB), replayed by a watch from the simulator (child process, HTTP). ${rounds} interleaved rounds, a fresh store each run.`, '',
    '| run | records/s per round | best | ÷ floor |', '|---|---|---|---|',
    row('floor: fetch + split + JSON.parse, discard', floor),
    row('ingest: InformerSource → WritePipeline → SpoolingWriter → LmdbHistoryStore (durable)', ingest),
    row('ingest path with a store that discards (the ingester\'s own cost)', nul), '',
    `**Ratio ingest/floor (best vs best): ${fmt(best(ingest) / best(floor), 2)}** (target ≥ 0.5); per round: ${ingest.map((x, i) => fmt(x / floor[i]!, 2)).join(', ')}. ` +
    `Share of the ingest run's wall time spent inside \`LmdbHistoryStore.append\`: ${share.map((x) => `${fmt(x * 100, 0)} %`).join(', ')}.`, '');
  api.close();
  sim.proc.kill();
}

async function lag(lines: string[]): Promise<void> {
  const pods = Number(a['lag-pods'] ?? 10_000);
  const rate = Number(a['lag-rate'] ?? 50);
  const seconds = Number(a['lag-seconds'] ?? 60);
  const sim = child('sim');
  const kubeconfig = (await sim.next('ready')).ready as string;
  sim.proc.send({ cmd: 'populate', pods });
  await sim.next('done');
  const dir = join(DIR, 'lag');
  rmSync(dir, { recursive: true, force: true });
  const store = LmdbHistoryStore.open({ path: join(dir, 'store') });
  const spool = await SpoolingWriter.open({ store, dir: join(dir, 'spool') });
  const writer = new WritePipeline({ sink: spool });
  const api = kubeApi(kubeconfig);
  const ing = startIngester({ api, cluster: 'bench', writer, store });
  while (!(ing.status().sources.length && ing.status().sources.every((s) => s.state === 'watching'))) await new Promise((r) => setTimeout(r, 100));
  const queries = queriesAs(createHistoryQueries({ store, defaultCluster: 'bench' }), TRUSTED_VIEWER);
  const pending: Msg[] = [];
  const lags: number[] = [];
  sim.on((m) => m.changes && pending.push(...m.changes));
  sim.proc.send({ cmd: 'rate', perSecond: rate, total: rate * seconds });
  let finished = false;
  void sim.next('done').then(() => (finished = true));
  while (!finished || pending.length) {
    for (const c of [...pending]) {
      const r = await queries.objectAt({ kind: 'Pod', namespace: c.ns, name: c.name, at: systemClock.now() }).catch(() => undefined);
      if (r && Number(r.revision.resourceVersion) >= Number(c.rv)) {
        lags.push(Date.now() - c.at);
        pending.splice(pending.indexOf(c), 1);
      }
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  const s = summary(lags);
  lines.push('## Lag from change to query visibility', '',
    `${pods.toLocaleString()} Pods (plus every other built-in kind the simulator serves, watched), ${rate} status changes/s for ${seconds} s; visibility polled through \`objectAt\` every 5 ms.`, '',
    '| changes | p50 | p99 | max |', '|---|---|---|---|', `| ${s.n} | ${fmt(s.p50, 0)} ms | ${fmt(s.p99, 0)} ms | ${fmt(s.max, 0)} ms |`, '',
    `Target p99 ≤ 2 s: **${s.p99 <= 2000 ? 'met' : 'missed'}**.`, '');
  await ing.stop();
  await writer.close();
  await spool.close();
  await store.close();
  api.close();
  sim.proc.kill();
}

async function rss(lines: string[]): Promise<void> {
  const pods = Number(a['rss-pods'] ?? 50_000);
  const sim = child('sim');
  const kubeconfig = (await sim.next('ready')).ready as string;
  sim.proc.send({ cmd: 'populate', pods });
  await sim.next('done');
  const rows: string[] = [];
  const flagSets = [[], ['--max-semi-space-size=4']];
  const restarts: string[] = [];
  for (const flags of flagSets) for (const variant of (a['rss-variants'] ?? 'discard,store').split(',')) {
    const c = child('rss', ['--kubeconfig', kubeconfig, '--variant', variant, '--dir', DIR], ['--expose-gc', ...flags]);
    const r = (await c.next('rss')).rss as Msg;
    const what = variant === 'store' ? 'ingester + embedded store (LMDB) in-process, as `kubetime serve`' : 'ingester, records discarded (its own footprint)';
    rows.push(`| ${what}${flags.length ? ` — node ${flags.join(' ')}` : ''} | ${r.tracked.toLocaleString()} | ${fmt(r.listS, 1)} s | ${mb(r.baseline)} MB | ${mb(r.peak)} MB | ${mb(r.steady)} MB (anon ${mb(r.anon)}, file-backed ${mb(r.file)}) | ${mb(r.heapUsed)} / ${mb(r.heapTotal)} MB |`);
    process.stderr.write(`rss ${variant} ${flags.join(' ')}: peak ${mb(r.peak)} MB\n`);
    if (r.restartS !== undefined) restarts.push(`${fmt(r.restartS, 1)} s, ${r.restartWritten} records written`);
  }
  lines.push('## RSS while tracking live objects', '',
    `${pods.toLocaleString()} live Pods (4–10 KB each) listed in pages of 250 (the default) and watched, plus every other kind the simulator serves. Fresh process per row; RSS sampled every 50 ms from start.`, '',
    '| process | tracked objects | list+reconcile | RSS before start | peak RSS | RSS after (GC) | heap used / total |', '|---|---|---|---|---|---|---|', ...rows, '',
    `Restart with the store holding them (each source loads uid → resourceVersion from the store, lists and reconciles, nothing changed meanwhile): ${restarts.join('; ')}.`, '',
    'Budget: ≤ 400 MB RSS. "RSS before start" is the process with every module loaded (client-node, lmdb, …) before the ingester runs. File-backed RSS includes the resident pages of the memory-mapped LMDB file (page cache the kernel can reclaim).', '');
  sim.proc.kill();
}

async function main(): Promise<void> {
  if (a.role) process.on('disconnect', () => process.exit(0)); // the parent went away
  if (a.role === 'sim') return simRole();
  if (a.role === 'rss') return rssRole();
  mkdirSync(DIR, { recursive: true });
  const only = new Set((a.only ?? 'peak,lag,rss').split(','));
  const lines = ['# Watch ingestion benchmark', '', `Run ${new Date().toISOString()} on ${process.platform}/${process.arch}, Node ${process.version}, 2 cores; \`node bench/ingest-watch.ts ${process.argv.slice(2).join(' ')}\`.`, ''];
  if (only.has('peak')) await peak(lines);
  if (only.has('lag')) await lag(lines);
  if (only.has('rss')) await rss(lines);
  const text = lines.join('\n');
  process.stdout.write(text + '\n');
  if (a.out !== 'none') writeFileSync(a.out ?? 'bench/results/ingest-watch.md', text + '\n');
  process.exit(0);
}

await main();
