/**
 * Tracing end to end: `kubetime serve` (a separate process, configured only by the standard
 * OTEL_* variables) exports its spans to a real OpenTelemetry Collector (test/infra/otelcol.sh,
 * which writes every span it receives to a JSON file), over OTLP/HTTP and over OTLP/gRPC. An
 * audit batch and a query are sent; their spans must arrive with the parent/child links from the
 * HTTP span down to the store span, the query's attributes, and log lines naming the trace.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { freePort } from '../e2e/lib/kubetime.ts';
import { describeWithService } from '../infra/services.ts';
import { describeCassandra, dropKeyspace, freshKeyspace } from './cassandra-helpers.ts';

interface SpanRow { traceId: string; spanId: string; parentSpanId: string; name: string; attributes: Record<string, unknown> }

/** Every span of service `service` in the collector's output file (OTLP JSON, one request per line). */
function spansOf(file: string, service: string): SpanRow[] {
  if (!existsSync(file)) return [];
  const out: SpanRow[] = [];
  // The last piece may be a line the collector is still writing: only whole lines count.
  for (const line of readFileSync(file, 'utf8').split('\n').slice(0, -1)) {
    if (!line.trim()) continue;
    for (const rs of JSON.parse(line).resourceSpans ?? []) {
      const name = rs.resource?.attributes?.find((a: { key: string }) => a.key === 'service.name')?.value?.stringValue;
      if (name !== service) continue;
      for (const ss of rs.scopeSpans ?? []) {
        for (const s of ss.spans ?? []) {
          const attributes = Object.fromEntries((s.attributes ?? []).map((a: { key: string; value: Record<string, unknown> }) => [a.key, Object.values(a.value)[0]]));
          out.push({ traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId ?? '', name: s.name, attributes });
        }
      }
    }
  }
  return out;
}

const exec = promisify(execFile);
/** kubetime processes still running, killed after the suite even when a test timed out. */
const running = new Set<ChildProcess>();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function auditBatch(): string {
  const items = readFileSync('test/fixtures/audit/orders.ndjson', 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  return JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items });
}

interface Run {
  spans: SpanRow[];
  named: (name: string, traceId?: string) => SpanRow;
  parentOf: (s: SpanRow) => SpanRow | undefined;
  callerTrace: string;
  callerSpan: string;
  /** The query's response body. */
  body: string;
  logFile: string;
  dataDir: string;
  /** The OTEL_* variables the process ran with. */
  otel: Record<string, string>;
}

/**
 * Starts `kubetime serve` exporting to the collector, sends the audit batch and a query (in a
 * caller's trace), stops it (shutdown flushes the spans) and reads its spans back.
 */
async function serveAndAsk(o: { protocol: string; endpoint: string; tracesFile: string; dirs: string[]; env?: Record<string, string>; kubeconfig?: string; ask?: boolean }): Promise<Run> {
  const ask = o.ask ?? true;
  const dir = mkdtempSync(join(tmpdir(), 'kubetime-tracing-'));
  o.dirs.push(dir);
  const service = `kubetime-tracing-${randomBytes(4).toString('hex')}`;
  const port = await freePort();
  const logFile = join(dir, 'kubetime.log');
  const log = openSync(logFile, 'a');
  const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: o.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: o.protocol, OTEL_SERVICE_NAME: service, OTEL_BSP_SCHEDULE_DELAY: '100' };
  const watch = o.kubeconfig ? ['--kubeconfig', o.kubeconfig] : ['--no-watch'];
  const child = spawn(process.execPath, ['bin/kubetime.js', 'serve', ...watch, '--port', String(port), '--data-dir', join(dir, 'data')], {
    // The recorded audit batch is months old: the sink's skew check (docs/hardening.md) is widened for it.
    env: { ...process.env, KUBETIME_LOG_LEVEL: 'info', KUBETIME_AUDIT_MAX_SKEW: '100000d', ...o.env, ...otel },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  running.add(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => { running.delete(child); resolve(code); }));
  const base = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; ; i++) {
      if (child.exitCode !== null) throw new Error(`kubetime exited: ${readFileSync(logFile, 'utf8')}`);
      if (await fetch(`${base}/readyz`).then((r) => r.ok, () => false)) break;
      if (i > 600) throw new Error(`kubetime not ready in 60 s: ${readFileSync(logFile, 'utf8')}`);
      await sleep(100);
    }
    const callerTrace = randomBytes(16).toString('hex');
    const callerSpan = randomBytes(8).toString('hex');
    let body = '';
    if (ask) {
      const audit = await fetch(`${base}/v1/audit`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: auditBatch() });
      expect(audit.status).toBe(200);
      expect(((await audit.json()) as { accepted: number }).accepted).toBeGreaterThan(0);
      // The query continues the caller's trace (W3C traceparent).
      const query = await fetch(`${base}/v1/object?kind=deploy&name=orders&namespace=shop&at=2026-01-10T12:00:00Z`, {
        headers: { traceparent: `00-${callerTrace}-${callerSpan}-01` },
      });
      expect(query.status).toBe(200);
      body = await query.text();
      child.kill('SIGTERM'); // shutdown flushes the spans still buffered
      expect(await exited).toBe(0);
    } else {
      // Let the watches list and write; their spans are exported every 100 ms meanwhile, so the
      // process is not asked to stop mid-list (a SIGTERM during the first list is not answered
      // within 40 s at the base commit either: reported, not this test's subject).
      for (let i = 0; i < 300 && !spansOf(o.tracesFile, service).some((s) => s.name === 'kubetime.store.append'); i++) await sleep(100);
      await sleep(1000);
    }

    let spans: SpanRow[] = [];
    for (let i = 0; i < 100; i++) {
      spans = spansOf(o.tracesFile, service);
      if ((!ask || spans.some((s) => s.name === 'GET /v1/object')) && spans.some((s) => s.name === 'kubetime.store.append')
        && (!o.kubeconfig || spans.some((s) => s.name === 'kubetime.watch.write'))) break;
      await sleep(200);
    }
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const named = (name: string, traceId?: string) => {
      const found = spans.filter((s) => s.name === name && (!traceId || s.traceId === traceId));
      expect(found.map((s) => s.name), `span ${name}`).toEqual([name]);
      return found[0]!;
    };
    return { spans, named, parentOf: (s) => byId.get(s.parentSpanId), callerTrace, callerSpan, body, logFile, dataDir: join(dir, 'data'), otel };
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

describeWithService('otelcol', 'tracing: kubetime spans in a real OpenTelemetry Collector', (env) => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const c of running) c.kill('SIGKILL');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const protocols = [
    ['http/protobuf', env.KUBETIME_OTELCOL_OTLP_HTTP],
    ['grpc', env.KUBETIME_OTELCOL_OTLP_GRPC],
  ] as const;

  it.each(protocols)('over OTLP %s: the audit batch and the query, from the HTTP span down to the store', async (protocol, endpoint) => {
    const run = await serveAndAsk({ protocol, endpoint: endpoint!, tracesFile: env.KUBETIME_OTELCOL_TRACES_FILE!, dirs });
    const { spans, named, parentOf, callerTrace, callerSpan, body, logFile, dataDir, otel } = run;

    // The audit batch: POST /v1/audit > audit.batch > convert, attribute > write (durable) > store.append.
    const post = named('POST /v1/audit');
    expect(post.parentSpanId).toBe('');
    expect(post.attributes['http.response.status_code']).toBe('200');
    const batch = named('kubetime.audit.batch', post.traceId);
    expect(parentOf(batch)).toBe(post);
    expect(batch.attributes['kubetime.events']).toBe('24');
    expect(parentOf(named('kubetime.audit.convert', post.traceId))).toBe(batch);
    const attribute = named('kubetime.audit.attribute', post.traceId);
    expect(parentOf(attribute)).toBe(batch);
    const write = named('kubetime.write', post.traceId);
    expect(parentOf(write)).toBe(attribute);
    const append = named('kubetime.store.append', post.traceId);
    expect(parentOf(append)).toBe(write);
    expect(append.attributes['db.system.name']).toBe('lmdb');

    // The query: the caller's trace > GET /v1/object (kind, namespace, at, result size) > store reads.
    const get = named('GET /v1/object', callerTrace);
    expect(get.parentSpanId).toBe(callerSpan);
    expect(get.attributes).toMatchObject({
      'http.route': '/v1/object', 'kubetime.kind': 'deploy', 'kubetime.namespace': 'shop', 'kubetime.name': 'orders',
      'kubetime.at': '2026-01-10T12:00:00Z', 'kubetime.result.bytes': String(Buffer.byteLength(body)),
    });
    const reads = spans.filter((s) => s.traceId === callerTrace && s.name.startsWith('kubetime.store.'));
    expect(reads.length).toBeGreaterThan(0);
    for (const r of reads) expect(parentOf(r), r.name).toBe(get);
    expect(reads.some((r) => r.attributes['kubetime.name'] === 'orders' && r.attributes['kubetime.gk'] === 'Deployment.apps')).toBe(true);

    // Log lines logged inside a span name it.
    const lines = readFileSync(logFile, 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    const requestLine = lines.find((l) => l.msg === 'call' && l.call === '/v1/object');
    expect(requestLine).toMatchObject({ trace_id: callerTrace, span_id: get.spanId });

    // A snapshot run (`kubetime snapshot` on the same data): compactor.run > compactor.snapshot > store reads.
    await exec(process.execPath, ['bin/kubetime.js', 'snapshot', '--data-dir', dataDir], { env: { ...process.env, ...otel } });
    let runs: SpanRow[] = [];
    for (let i = 0; i < 100 && !runs.some((s) => s.name === 'kubetime.compactor.snapshot'); i++) {
      runs = spansOf(env.KUBETIME_OTELCOL_TRACES_FILE!, otel.OTEL_SERVICE_NAME!).filter((s) => s.name.startsWith('kubetime.compactor.') || s.name.startsWith('kubetime.store.'));
      await sleep(200);
    }
    const compactorRun = runs.find((s) => s.name === 'kubetime.compactor.run')!;
    const snapshot = runs.find((s) => s.name === 'kubetime.compactor.snapshot')!;
    expect(snapshot.parentSpanId).toBe(compactorRun.spanId);
    expect(snapshot.attributes['kubetime.cluster']).toBe('default');
    expect(runs.some((s) => s.name.startsWith('kubetime.store.') && s.parentSpanId === snapshot.spanId)).toBe(true);
  }, 180_000);

  describeWithService('kube', 'with the watch on a real control plane', (kube) => {
    it('the watch writes are spans down to the store append', async () => {
      const { spans, parentOf } = await serveAndAsk({
        protocol: 'http/protobuf', endpoint: env.KUBETIME_OTELCOL_OTLP_HTTP!, tracesFile: env.KUBETIME_OTELCOL_TRACES_FILE!, dirs, kubeconfig: kube.KUBECONFIG!, ask: false,
      });
      const watchWrites = spans.filter((s) => s.name === 'kubetime.watch.write');
      expect(watchWrites.length).toBeGreaterThan(0);
      expect(watchWrites.every((s) => Number(s.attributes['kubetime.records']) > 0)).toBe(true);
      const durable = spans.filter((s) => s.name === 'kubetime.write' && watchWrites.includes(parentOf(s)!));
      expect(durable.length).toBe(watchWrites.length);
      expect(spans.some((s) => s.name === 'kubetime.store.append' && durable.includes(parentOf(s)!))).toBe(true);
    }, 180_000);
  });

  describeCassandra('with the Cassandra store', (target) => {
    const keyspace = freshKeyspace('kt_tracing');
    afterAll(() => dropKeyspace(target(), keyspace));

    it('the driver instrumentation puts every statement of a query under its store span', async () => {
      const t = target();
      const { spans, named, parentOf, callerTrace } = await serveAndAsk({
        protocol: 'http/protobuf', endpoint: env.KUBETIME_OTELCOL_OTLP_HTTP!, tracesFile: env.KUBETIME_OTELCOL_TRACES_FILE!, dirs,
        env: { KUBETIME_STORE: 'cassandra', KUBETIME_CASSANDRA_KEYSPACE: keyspace, KUBETIME_CASSANDRA_CONTACT_POINTS: t.contactPoints.join(','), KUBETIME_CASSANDRA_LOCAL_DC: t.localDataCenter },
      });
      const get = named('GET /v1/object', callerTrace);
      const reads = spans.filter((s) => s.traceId === callerTrace && s.name.startsWith('kubetime.store.'));
      expect(reads.every((r) => parentOf(r) === get && r.attributes['db.system.name'] === 'cassandra')).toBe(true);
      const statements = spans.filter((s) => s.traceId === callerTrace && s.name.startsWith('cassandra-driver.'));
      expect(statements.length).toBeGreaterThan(0);
      for (const st of statements) expect(reads).toContain(parentOf(st));
      const append = named('kubetime.store.append');
      expect(spans.some((s) => s.name.startsWith('cassandra-driver.') && parentOf(s) === append)).toBe(true);
    }, 180_000);
  });
});
