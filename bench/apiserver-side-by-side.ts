/**
 * Side by side with the real kube-apiserver (issue 16): a namespace of `--pods` Pods bound to the
 * kwok nodes of the test control plane (test/infra/kube), watched by `kubetime serve` (a child
 * process, HTTPS, as test/e2e runs it); once kubetime has every Pod as the apiserver has it, T is
 * taken (a moment just after the last change), and in interleaved rounds one HTTP client (one
 * undici Agent, TLS to both) asks:
 * - the apiserver's live LIST of the namespace, as JSON and as a Table (what `kubectl get` asks);
 * - kubetime's `/v1/objects` as of T (view raw: the manifests as returned, full, summary) and as of
 *   now, and its Kubernetes face `/k8s/at/{T}/api/v1/namespaces/{ns}/pods` (JSON and Table).
 * Each request is timed until its whole body has arrived (not parsed), with the CPU both server
 * processes spent meanwhile (/proc/<pid>/stat; the apiserver's also counts its other work).
 * Then kubetime is stopped and its store opened here, to split one list as of T into the query
 * (store + access), the presentation, and JSON.stringify.
 * The control plane is shared: the bench waits while a fidelity e2e run (`pgrep -f
 * fidelity.test.ts`) is going, keeps to one namespace of its own, and deletes it at the end.
 * Run: npx node bench/apiserver-side-by-side.ts [--pods 3000] [--reps 20] [--concurrency 16]
 *      [--out FILE] [--keep-namespace] [--keep-data]
 * (--out writes the section to FILE, else it is only printed: bench/results/apiserver-side-by-side.md
 * gathers runs by hand; --keep-data keeps kubetime's data dir for bench/list-anatomy.ts --at T.)
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { Agent } from 'undici';
import { TRUSTED_VIEWER } from '../core/access.ts';
import { createHistoryQueries } from '../core/queries.ts';
import { presentListAt } from '../history-api/present.ts';
import { LmdbHistoryStore } from '../store/lmdb/lmdb-history-store.ts';
import { apiserverPid, kubeEnv } from '../test/e2e/lib/kube.ts';
import { freePort, KubetimeProcess } from '../test/e2e/lib/kubetime.ts';
import { makePod, prng } from './lib/generate.ts';
import { args, fmt, processCpuMs as cpuMs, summary } from './lib/stats.ts';

const exec = promisify(execFile);
const a = args(process.argv.slice(2));
const PODS = Number(a.pods ?? 3000);
const REPS = Number(a.reps ?? 20);
const CONCURRENCY = Number(a.concurrency ?? 16);
const OUT = a.out ?? 'none';
const NODES = ['kwok-node-0', 'kwok-node-1']; // kwok-node-2 is the one the fidelity test cordons
const CLUSTER = 'sbs';
const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (s: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`);
// Interrupted: the finally of the main part still runs (kubetime stopped, the namespace deleted).
let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => {
  interrupted = true;
  log(`${sig}: cleaning up`);
});

// ───────────── one client for both servers ─────────────

const env = await kubeEnv(process.env as Record<string, string>);
const kc = new KubeConfig();
kc.loadFromFile(env.KUBECONFIG);
const b64 = (s: string | undefined) => (s ? Buffer.from(s, 'base64') : undefined);
const APISERVER = kc.getCurrentCluster()!.server;
const user = kc.getCurrentUser()!;
const agent = new Agent({
  keepAliveTimeout: 120_000,
  connections: CONCURRENCY,
  connect: { ca: [b64(kc.getCurrentCluster()!.caData)!, readFileSync(env.KUBETIME_KUBE_CA_FILE)], cert: b64(user.certData), key: b64(user.keyData) },
});

interface Answer { status: number; body: Buffer; ms: number }

async function call(origin: string, path: string, o: { method?: string; accept?: string; body?: unknown } = {}): Promise<Answer> {
  const payload = o.body === undefined ? undefined : JSON.stringify(o.body);
  const s = performance.now();
  const res = await agent.request({
    origin, path, method: (o.method ?? 'GET') as 'GET',
    headers: { accept: o.accept ?? 'application/json', ...(payload ? { 'content-type': 'application/json' } : {}) },
    ...(payload ? { body: payload } : {}),
    headersTimeout: 120_000, bodyTimeout: 120_000,
  });
  const body = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, body, ms: performance.now() - s };
}

async function ok(origin: string, path: string, o: { method?: string; accept?: string; body?: unknown } = {}): Promise<any> {
  const r = await call(origin, path, o);
  if (r.status < 200 || r.status > 299) throw new Error(`${o.method ?? 'GET'} ${origin}${path}: HTTP ${r.status} ${r.body.toString('utf8').slice(0, 300)}`);
  return JSON.parse(r.body.toString('utf8'));
}

const fidelityRunning = () => exec('pgrep', ['-f', 'fidelity.test.ts']).then(() => true, () => false);

/** Waits while another engineer's fidelity e2e run uses the control plane (it restarts the apiserver). */
async function waitForFidelity(what: string): Promise<void> {
  let said = false;
  while (await fidelityRunning()) {
    if (interrupted) throw new Error('interrupted');
    if (!said) log(`a fidelity e2e run is going: waiting before ${what}`);
    said = true;
    await sleep(5_000);
  }
}

/** Until the apiserver answers /readyz (it may be restarting). */
async function untilApiserverReady(): Promise<void> {
  const deadline = Date.now() + 300_000;
  while ((await call(APISERVER, '/readyz').catch(() => ({ status: 0 }))).status !== 200) {
    if (interrupted) throw new Error('interrupted');
    if (Date.now() > deadline) throw new Error('kube-apiserver not ready within 5 minutes');
    await sleep(1000);
  }
}

// ───────────── the namespace of Pods ─────────────

const ns = `bench-sbs-${randomBytes(3).toString('hex')}`;

function podBody(i: number, rand: () => number): Record<string, any> {
  const name = `app${i % 40}-7d9f8c-${i.toString(36).padStart(5, '0')}`;
  const pod = makePod({ ns, name, uid: '', rv: 0, rand, node: NODES[i % NODES.length]! });
  const { uid: _u, resourceVersion: _r, creationTimestamp: _c, managedFields: _m, ownerReferences: _o, ...metadata } = pod.metadata;
  const { priority: _p, preemptionPolicy: _pp, ...spec } = pod.spec;
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec };
}

async function createPods(): Promise<number> {
  const rand = prng(16);
  const bodies = Array.from({ length: PODS }, (_, i) => podBody(i, rand));
  const s = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < bodies.length && !interrupted) {
      const body = bodies[next++]!;
      for (let attempt = 0; ; attempt++) {
        const r = await call(APISERVER, `/api/v1/namespaces/${ns}/pods`, { method: 'POST', body }).catch((e: Error) => ({ status: 0, body: Buffer.from(e.message) }));
        if (r.status === 201 || (r.status === 409 && attempt > 0)) break; // 409 after a lost answer: it was created
        if (attempt >= 10 || (r.status !== 0 && r.status !== 429 && r.status < 500)) throw new Error(`create pod: HTTP ${r.status} ${r.body.toString('utf8').slice(0, 300)}`);
        await untilApiserverReady();
        await sleep(500 * (attempt + 1));
      }
    }
  }));
  return (performance.now() - s) / 1000;
}

type Rvs = Map<string, string>;
const rvsOf = (items: { metadata: { name: string; resourceVersion: string } }[]): Rvs => new Map(items.map((p) => [p.metadata.name, p.metadata.resourceVersion]));
const sameRvs = (x: Rvs, y: Rvs) => x.size === y.size && [...x].every(([k, v]) => y.get(k) === v);

/** Waits until kwok has every Pod Running with an IP (its status writes are the last changes). */
async function untilRunning(): Promise<void> {
  const deadline = Date.now() + 600_000;
  for (;;) {
    const list = await ok(APISERVER, `/api/v1/namespaces/${ns}/pods`).catch(() => ({ items: [] }));
    const running = list.items.filter((p: any) => p.status?.phase === 'Running' && p.status?.podIP).length;
    if (running === PODS) return;
    if (interrupted) throw new Error('interrupted');
    if (Date.now() > deadline) throw new Error(`only ${running} of ${PODS} Pods Running after 10 minutes`);
    await sleep(2000);
  }
}

// ───────────── kubetime ─────────────

const dataDir = mkdtempSync(join(tmpdir(), 'kubetime-sbs-'));
let kt: KubetimeProcess | undefined;

async function startKubetime(): Promise<KubetimeProcess> {
  process.env.KUBETIME_INCLUDE_NAMESPACES = ns; // the child inherits it: kubetime watches this namespace only
  const p = new KubetimeProcess({
    port: await freePort(), dataDir, kubeconfig: env.KUBECONFIG, cluster: CLUSTER, auditToken: 'bench-sbs-token',
    tlsCertFile: env.KUBETIME_AUDIT_SINK_CERT_FILE, tlsKeyFile: env.KUBETIME_AUDIT_SINK_KEY_FILE, caFile: env.KUBETIME_KUBE_CA_FILE,
    logFile: join(dataDir, 'serve.log'),
  });
  await p.start();
  delete process.env.KUBETIME_INCLUDE_NAMESPACES;
  return p;
}

/** Until kubetime's list as of now has the names and resourceVersions of the apiserver's live LIST: that LIST's. */
async function untilCaughtUp(origin: string): Promise<{ want: Rvs; seconds: number }> {
  const s = performance.now();
  const deadline = Date.now() + 600_000;
  for (;;) {
    const want = rvsOf((await ok(APISERVER, `/api/v1/namespaces/${ns}/pods`).catch(() => ({ items: [] }))).items);
    const r = await call(origin, `/v1/objects?kind=Pod&namespace=${ns}&at=now&limit=5000`);
    if (r.status === 200 && want.size === PODS && sameRvs(rvsOf(JSON.parse(r.body.toString('utf8')).items), want)) return { want, seconds: (performance.now() - s) / 1000 };
    if (interrupted) throw new Error('interrupted');
    if (Date.now() > deadline) throw new Error('kubetime did not catch up with the apiserver within 10 minutes');
    await sleep(1000);
  }
}

// ───────────── the rounds ─────────────

interface Variant { key: string; label: string; origin: () => string; path: () => string; accept?: string; server: 'apiserver' | 'kubetime' }

async function rounds(ktOrigin: string, at: string, want: Rvs) {
  const V: Variant[] = [
    { key: 'api-json', label: 'apiserver live LIST, JSON', origin: () => APISERVER, path: () => `/api/v1/namespaces/${ns}/pods`, server: 'apiserver' },
    { key: 'api-table', label: 'apiserver live LIST, Table', origin: () => APISERVER, path: () => `/api/v1/namespaces/${ns}/pods`, accept: TABLE, server: 'apiserver' },
    { key: 'kt-raw', label: 'kubetime /v1/objects as of T, view=raw (manifests as returned)', origin: () => ktOrigin, path: () => `/v1/objects?kind=Pod&namespace=${ns}&at=${at}&limit=5000`, server: 'kubetime' },
    { key: 'kt-full', label: 'kubetime /v1/objects as of T, view=full', origin: () => ktOrigin, path: () => `/v1/objects?kind=Pod&namespace=${ns}&at=${at}&limit=5000&view=full`, server: 'kubetime' },
    { key: 'kt-summary', label: 'kubetime /v1/objects as of T, view=summary', origin: () => ktOrigin, path: () => `/v1/objects?kind=Pod&namespace=${ns}&at=${at}&limit=5000&view=summary`, server: 'kubetime' },
    { key: 'kt-now', label: 'kubetime /v1/objects as of now, view=raw', origin: () => ktOrigin, path: () => `/v1/objects?kind=Pod&namespace=${ns}&at=now&limit=5000`, server: 'kubetime' },
    { key: 'kube-json', label: 'kubetime /k8s/at/T/…/pods, JSON', origin: () => ktOrigin, path: () => `/k8s/at/${at}/api/v1/namespaces/${ns}/pods`, server: 'kubetime' },
    { key: 'kube-table', label: 'kubetime /k8s/at/T/…/pods, Table', origin: () => ktOrigin, path: () => `/k8s/at/${at}/api/v1/namespaces/${ns}/pods`, accept: TABLE, server: 'kubetime' },
  ];
  const ms: Record<string, number[]> = Object.fromEntries(V.map((v) => [v.key, []]));
  const cpu: Record<string, { apiserver: number[]; kubetime: number[] }> = Object.fromEntries(V.map((v) => [v.key, { apiserver: [], kubetime: [] }]));
  const bytes: Record<string, number> = {};
  const load: number[] = [];
  const checks = new Set<string>();
  let pid = apiserverPid(env);
  // One round of every variant, in the order starting at `first`; with `check`, every answer must
  // hold the apiserver's Pods (names and resourceVersions; count for the Tables and the summary).
  const round = async (first: number, check: boolean) => {
    const out: { key: string; ms: number; bytes: number; cpuApi: number; cpuKt: number }[] = [];
    for (let k = 0; k < V.length; k++) {
      const v = V[(first + k) % V.length]!;
      const c0 = { apiserver: cpuMs(pid), kubetime: cpuMs(kt!.pid) };
      const r = await call(v.origin(), v.path(), { accept: v.accept });
      if (r.status !== 200) throw new Error(`${v.key}: HTTP ${r.status} ${r.body.toString('utf8').slice(0, 300)}`);
      out.push({ key: v.key, ms: r.ms, bytes: r.body.length, cpuApi: cpuMs(pid) - c0.apiserver, cpuKt: cpuMs(kt!.pid) - c0.kubetime });
      if (!check) continue;
      const body = JSON.parse(r.body.toString('utf8'));
      const rows = body.rows ?? body.items;
      if (rows.length !== PODS) throw new Error(`${v.key}: ${rows.length} items, not ${PODS}`);
      if (!v.accept && v.key !== 'kt-summary') {
        if (!sameRvs(rvsOf(body.items), want)) throw new Error(`${v.key}: not the apiserver's Pods (names/resourceVersions differ)`);
        checks.add(v.key);
      }
    }
    return out;
  };
  // A fidelity run restarts the apiserver and loads both cores: rounds during one, or across an
  // apiserver restart, are dropped; the bench waits, checks kubetime again, warms up, goes on.
  const settle = async () => {
    await waitForFidelity('the next round');
    await untilApiserverReady();
    await untilCaughtUp(ktOrigin);
    pid = apiserverPid(env);
    await round(0, true); // warm-up and check
  };
  let dropped = 0;
  let pauses = 0;
  await settle();
  for (let rep = 0; rep < REPS;) {
    if (interrupted) throw new Error('interrupted');
    let kept: Awaited<ReturnType<typeof round>> | undefined;
    try {
      kept = await round(rep, false);
    } catch (e) {
      log(`round ${rep + 1}: ${(e as Error).message}`);
    }
    if (!kept || (await fidelityRunning()) || apiserverPid(env) !== pid) {
      if (++dropped > 3 * REPS) throw new Error(`${dropped} rounds dropped: the control plane is too busy`);
      pauses++;
      log(`round ${rep + 1} dropped (a fidelity run or an apiserver restart); waiting`);
      await settle();
      continue;
    }
    for (const x of kept) {
      ms[x.key]!.push(x.ms);
      cpu[x.key]!.apiserver.push(x.cpuApi);
      cpu[x.key]!.kubetime.push(x.cpuKt);
      bytes[x.key] = x.bytes;
    }
    load.push(loadavg()[0]!);
    rep++;
  }
  return { V, ms, cpu, bytes, load, checks: [...checks].map((k) => `${k} holds the apiserver's names and resourceVersions`), dropped, pauses };
}

/** kubetime stopped: its store opened here, one list as of T split into query, presentation, JSON.stringify. */
async function inProcess(atMicros: number) {
  const store = LmdbHistoryStore.open({ path: join(dataDir, 'store') });
  try {
    const queries = createHistoryQueries({ store });
    type Phase = { wall: number[]; cpu: number[] };
    const phase = (): Phase => ({ wall: [], cpu: [] });
    const t = { query: phase(), presentRaw: phase(), stringifyRaw: phase(), presentSummary: phase(), stringifySummary: phase() };
    // Wall and CPU (this process, every thread: what waiting for a core on a loaded machine does not inflate).
    const timed = async <T>(into: Phase | undefined, f: () => T | Promise<T>): Promise<T> => {
      const s = performance.now();
      const c = process.cpuUsage();
      const out = await f();
      const dc = process.cpuUsage(c);
      into?.wall.push(performance.now() - s);
      into?.cpu.push((dc.user + dc.system) / 1000);
      return out;
    };
    for (let i = 0; i < Math.min(REPS, 10) + 1; i++) {
      const keep = i > 0 ? t : undefined; // the first is a warm-up
      const answer = await timed(keep?.query, () => queries.listAt({ viewer: TRUSTED_VIEWER, cluster: CLUSTER, kind: 'pods', namespace: ns, at: atMicros, limit: 5000 }));
      if (answer.items.length !== PODS) throw new Error(`in-process list: ${answer.items.length} items`);
      const raw = await timed(keep?.presentRaw, () => presentListAt(answer, { view: 'raw' }));
      await timed(keep?.stringifyRaw, () => JSON.stringify(raw));
      const sum = await timed(keep?.presentSummary, () => presentListAt(answer, { view: 'summary' }));
      await timed(keep?.stringifySummary, () => JSON.stringify(sum));
    }
    return t;
  } finally {
    await store.close();
  }
}

// ───────────── main ─────────────

const started = new Date();
const lines: string[] = [];
try {
  await waitForFidelity('creating Pods');
  log(`namespace ${ns}; kubetime data in ${dataDir}`);
  await ok(APISERVER, '/api/v1/namespaces', { method: 'POST', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { 'kubetime.bench': 'side-by-side' } } } });
  for (let i = 0; (await call(APISERVER, `/api/v1/namespaces/${ns}/serviceaccounts/default`)).status !== 200; i++) {
    if (i > 120) throw new Error('no default ServiceAccount in the namespace after 60 s');
    await sleep(500);
  }
  kt = await startKubetime();
  const ktOrigin = `https://127.0.0.1:${kt.opts.port}`;
  log(`kubetime serving on ${ktOrigin}; creating ${PODS} Pods, ${CONCURRENCY} at a time`);
  const createS = await createPods();
  log(`created in ${fmt(createS, 1)} s; waiting until kwok runs them all`);
  await untilRunning();
  const { want, seconds: catchS } = await untilCaughtUp(ktOrigin);
  const atDate = new Date();
  const at = atDate.toISOString();
  log(`kubetime caught up (${fmt(catchS, 1)} s after they all ran); T = ${at}`);
  await sleep(1000); // T is in the past, as the issue's "a moment just after"
  const r = await rounds(ktOrigin, at, want);
  log('rounds done; stopping kubetime for the in-process split');
  await kt.stop();
  const ip = await inProcess(atDate.getTime() * 1000);

  const base = summary(r.ms['api-json']!).p50;
  const table = summary(r.ms['api-table']!).p50;
  const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;
  const mib = (b: number) => `${fmt(b / 2 ** 20, 2)} MiB`;
  const rows = r.V.map((v) => {
    const s = summary(r.ms[v.key]!);
    const vsTable = v.key === 'kt-summary' || v.key === 'kube-table' ? ` (${fmt(s.p50 / table, 2)}× the Table)` : '';
    return `| ${v.label} | ${fmt(s.p50, 1)} | ${fmt(s.p99, 1)} | ${mib(r.bytes[v.key]!)} | **${fmt(s.p50 / base, 2)}×**${vsTable} | ${fmt(mean(r.cpu[v.key]!.apiserver), 0)} | ${fmt(mean(r.cpu[v.key]!.kubetime), 0)} |`;
  });
  const p50 = (x: { wall: number[]; cpu: number[] }) => `${fmt(summary(x.wall).p50, 1)} (CPU ${fmt(summary(x.cpu).p50, 1)})`;
  lines.push(
    `Command: \`npx node bench/apiserver-side-by-side.ts ${process.argv.slice(2).join(' ')}\` (Node ${process.version}, ${started.toISOString()}, 2-core shared machine; kube-apiserver v1.34.4 of test/infra/kube, kwok v0.7.0).`,
    '',
    `${PODS.toLocaleString()} Pods created in a fresh namespace (${CONCURRENCY} at a time, ${fmt(createS, 1)} s), bound to ${NODES.join(' and ')} and run by kwok; \`kubetime serve\` (child process, HTTPS, \`--include-namespaces\` that namespace, LMDB store) watched them from before the first create and caught up ${fmt(catchS, 1)} s after the last Pod ran. T = ${at}, a moment after the last change. One undici Agent (TLS, keep-alive) for both servers; ${REPS} interleaved rounds, each variant taking each place in the round in turn; time until the whole body arrived, not parsed; no compression asked. Warm-up round checks: ${r.checks.join('; ')}.`,
    '',
    `Rounds dropped (a fidelity e2e run started, or the apiserver restarted, during them; the bench then waited for the control plane to be quiet and checked kubetime again): ${r.dropped}.`,
    '',
    `Load average (1 min) during the rounds: ${r.load.map((x) => fmt(x, 2)).join(' → ')}.`,
    '',
    '| request | p50 ms | p99 ms | bytes | p50 ÷ apiserver JSON LIST | CPU ms apiserver (mean) | CPU ms kubetime (mean) |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
    'CPU per request from /proc/<pid>/stat (10 ms ticks, mean of the rounds); the apiserver\'s also counts whatever else it served meanwhile (controllers, kwok, other engineers).',
    '',
    `In-process, kubetime stopped and its store opened by the bench (${Math.min(REPS, 10)} lists as of T after a warm-up, p50 ms wall, and CPU ms of this process): query (core/queries.ts listAt: store + access) ${p50(ip.query)}; presentation view=raw ${p50(ip.presentRaw)}, its JSON.stringify ${p50(ip.stringifyRaw)}; presentation view=summary ${p50(ip.presentSummary)}, its JSON.stringify ${p50(ip.stringifySummary)}.`,
    '',
  );
} finally {
  await kt?.stop().catch(() => undefined);
  if (a['keep-namespace'] === undefined) {
    // The apiserver may be restarting (a fidelity run): try for 5 minutes.
    for (let i = 0; ; i++) {
      const r = await call(APISERVER, `/api/v1/namespaces/${ns}`, { method: 'DELETE' }).catch((e: Error) => ({ status: 0, body: Buffer.from(e.message) }));
      if (r.status === 200 || r.status === 202 || r.status === 404 || i >= 60) {
        log(`namespace ${ns} deleted: HTTP ${r.status}${r.status >= 300 || r.status === 0 ? ` ${r.body.toString('utf8').slice(0, 200)} — DELETE IT BY HAND` : ''}`);
        break;
      }
      await sleep(5000);
    }
  }
  await agent.close();
  if (a['keep-data'] === undefined) rmSync(dataDir, { recursive: true, force: true });
  else log(`kubetime data kept in ${dataDir}`);
}
const text = lines.join('\n');
process.stdout.write(text + '\n');
if (OUT !== 'none') writeFileSync(OUT, `# kube-apiserver LIST vs kubetime's list as of T, side by side (issue 16)\n\n${text}\n`);
process.exit(0);
