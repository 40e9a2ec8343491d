/**
 * Tracing overhead (issue 17): audit ingest and query throughput through the whole HTTP server
 * (`POST /v1/audit`, `GET /v1/object`) with tracing off and on, in one run: the run starts child
 * processes in ABBA order (off, on, on, off, …), each on a fresh embedded store with the same
 * input, and compares their medians. A child is the only clean "off": once the SDK has been
 * registered in a process, tracers obtained earlier keep making spans. "On" is the OpenTelemetry
 * SDK started by cli/telemetry.ts from OTEL_* variables, exporting every span over OTLP
 * (OTEL_EXPORTER_OTLP_PROTOCOL, default http/protobuf) to OTEL_EXPORTER_OTLP_ENDPOINT (default:
 * the test collector of test/infra/otelcol.sh, http://127.0.0.1:4318). Log lines are written (to
 * /dev/null) with the trace-id mixin in both modes.
 * Run: node bench/tracing.ts [--pairs 4] [--batches 10] [--queries 500] [--out bench/results/observability.md]
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { eachBatch, prng, workload } from './lib/generate.ts';
import { args, fmt } from './lib/stats.ts';

const a = args(process.argv.slice(2));
const PAIRS = Number(a.pairs ?? 4);
const BATCHES = Number(a.batches ?? 10); // audit batches of 400 Pod events
const QUERIES = Number(a.queries ?? 500); // GET /v1/object
const ENDPOINT = process.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'http://127.0.0.1:4318';

/** Throughputs per wall-clock second and per CPU second of the whole process (all threads). */
interface ChildResult { mode: 'on' | 'off'; ingest: number; query: number; ingestCpu: number; queryCpu: number }
type Measure = Exclude<keyof ChildResult, 'mode'>;

const cpuSeconds = (since: NodeJS.CpuUsage) => { const u = process.cpuUsage(since); return (u.user + u.system) / 1e6; };

/** One measurement in this process: `mode` says whether the SDK was started (by the parent's env). */
async function child(mode: 'on' | 'off'): Promise<ChildResult> {
  const { startTelemetry, traceFields } = await import('../cli/telemetry.ts');
  const telemetry = await startTelemetry(process.env);
  if (telemetry.enabled !== (mode === 'on')) throw new Error(`tracing should be ${mode}`);
  const { default: pino } = await import('pino');
  const { createApp, createServer, shutdown } = await import('../cli/compose.ts');
  const { loadConfig } = await import('../cli/config.ts');
  const dir = mkdtempSync(join(tmpdir(), 'kubetime-bench-tracing-'));
  const logger = pino({ level: 'info', base: { service: 'kubetime' }, mixin: traceFields }, pino.destination({ dest: '/dev/null', sync: false }));
  const app = await createApp(loadConfig({ KUBETIME_DATA_DIR: dir, KUBETIME_WATCH: 'false', KUBETIME_AUDIT_MAX_SKEW: '1000d' }), { logger });
  const server = createServer(app);
  await server.ready();
  const pods = Math.min(2000, (BATCHES - 2) * 400);
  const gen = workload({ pods, records: BATCHES * 400, namespaces: 20, bigNamespacePods: 0, seed: 17, spanMicros: 6 * 3600e6 }, 400);
  const batches: string[] = [];
  let events = 0;
  const refs = await eachBatch(gen, (batch) => {
    batches.push(batch.text);
    events += batch.count;
  });
  const post = async (body: string) => {
    const res = await server.inject({ method: 'POST', url: '/v1/audit', payload: body, headers: { 'content-type': 'application/json' } });
    if (res.statusCode !== 200) throw new Error(`audit batch: ${res.statusCode} ${res.body}`);
    accepted += (JSON.parse(res.body) as { accepted: number }).accepted;
  };
  let accepted = 0;
  await post(batches[0]!); // warm-up, not counted
  let t0 = performance.now();
  let c0 = process.cpuUsage();
  for (const body of batches.slice(1)) await post(body);
  await app.writer.settled?.();
  // The generated history is of January 2026: the sink's clock-skew check is widened above, and a refused change fails here.
  if (accepted !== events) throw new Error(`the sink accepted ${accepted} of ${events} changes`);
  const ingest = ((batches.length - 1) * 400) / ((performance.now() - t0) / 1000);
  const ingestCpu = ((batches.length - 1) * 400) / cpuSeconds(c0);
  const rand = prng(99);
  const ask = async () => {
    const p = refs[Math.floor(rand() * refs.length)]!;
    const res = await server.inject({ url: `/v1/object?kind=pod&name=${p.name}&namespace=${p.ns}&at=now` });
    if (res.statusCode !== 200) throw new Error(`query: ${res.statusCode} ${res.body}`);
  };
  for (let i = 0; i < 50; i++) await ask(); // warm-up
  t0 = performance.now();
  c0 = process.cpuUsage();
  for (let i = 0; i < QUERIES; i++) await ask();
  const query = QUERIES / ((performance.now() - t0) / 1000);
  const queryCpu = QUERIES / cpuSeconds(c0);
  await server.close();
  await shutdown(app);
  await telemetry.shutdown();
  rmSync(dir, { recursive: true, force: true });
  return { mode, ingest, query, ingestCpu, queryCpu };
}

async function parent(): Promise<void> {
  const exec = promisify(execFile);
  const results: ChildResult[] = [];
  const order = Array.from({ length: PAIRS }, (_, i): ('on' | 'off')[] => (i % 2 ? ['on', 'off'] : ['off', 'on'])).flat();
  const started = performance.now();
  for (const mode of order) {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith('OTEL_')) delete env[k];
    if (mode === 'on') Object.assign(env, { OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT, OTEL_SERVICE_NAME: 'kubetime-bench' },
      process.env.OTEL_EXPORTER_OTLP_PROTOCOL ? { OTEL_EXPORTER_OTLP_PROTOCOL: process.env.OTEL_EXPORTER_OTLP_PROTOCOL } : {});
    const { stdout } = await exec(process.execPath, [process.argv[1]!, ...process.argv.slice(2), '--child', mode], { env, maxBuffer: 1 << 20 });
    const r = JSON.parse(stdout.trim().split('\n').at(-1)!) as ChildResult;
    results.push(r);
    process.stderr.write(`tracing ${mode}: ingest ${fmt(r.ingest, 0)} events/s (${fmt(r.ingestCpu, 0)}/CPU-s), queries ${fmt(r.query, 0)}/s (${fmt(r.queryCpu, 0)}/CPU-s)\n`);
  }
  const median = (xs: number[]) => { const s = [...xs].sort((x, y) => x - y); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };
  const of = (mode: string, k: Measure) => results.filter((r) => r.mode === mode).map((r) => r[k]);
  const row = (what: string, k: Measure, unit: string) =>
    `| ${what} | ${fmt(median(of('off', k)), 0)} ${unit} | ${fmt(median(of('on', k)), 0)} ${unit} | **${fmt(median(of('on', k)) / median(of('off', k)), 2)}** | ${of('off', k).map((x) => fmt(x, 0)).join(', ')} | ${of('on', k).map((x) => fmt(x, 0)).join(', ')} |`;
  const command = `node bench/tracing.ts ${process.argv.slice(2).join(' ')}`.trim();
  const text = `# Tracing overhead: OpenTelemetry on vs off, same run

Command: \`${command}\` (Node ${process.version}, ${new Date().toISOString().slice(0, 16)}Z, 2-core machine shared with other builds; exporter OTLP ${process.env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf'} to ${ENDPOINT}, the collector of test/infra/otelcol.sh; wall time ${fmt((performance.now() - started) / 1000, 0)} s).
Workload: ${order.length} child processes in ABBA order (${order.join(', ')}), each on a fresh embedded store with the same input: ${BATCHES - 1} audit batches of 400 Pod events through \`POST /v1/audit\` after one warm-up batch (spans: HTTP, audit batch, convert, attribute, durable write, store append), then ${QUERIES} \`GET /v1/object\` of random Pods after 50 warm-up queries (spans: HTTP and its store reads), through the fastify server in process (inject). Medians over the children of each mode.

| measure | tracing off | tracing on | ratio on / off | off, each child | on, each child |
|---|---|---|---|---|---|
${row('audit ingest, wall clock', 'ingest', 'events/s')}
${row('audit ingest, per CPU second', 'ingestCpu', 'events/CPU-s')}
${row('object queries, wall clock', 'query', 'queries/s')}
${row('object queries, per CPU second', 'queryCpu', 'queries/CPU-s')}

Per CPU second counts the whole kubetime process (every thread, the exporter's serialisation and
sending included; the collector is another process): it is the steadier figure on a machine whose
other work moves wall-clock throughput by a factor of two between identical children.
`;
  if (a.out) writeFileSync(a.out, text);
  process.stdout.write(text);
}

if (a.child === 'on' || a.child === 'off') process.stdout.write(`${JSON.stringify(await child(a.child))}\n`);
else await parent();
