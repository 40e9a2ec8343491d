/**
 * The operations kit in deploy/observability/ against what kubetime really exports:
 * - `promtool check rules` accepts alerts.yaml and `promtool test rules` runs alerts.test.yaml
 *   (synthetic series for every alert: each fires when it should and stays silent otherwise);
 * - every metric named by an alert or by a Grafana dashboard query is one a built kubetime
 *   server serves at /metrics (the compactor having run, with a disk budget, after an audit batch).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, createServer, shutdown, type App } from '../../cli/compose.ts';
import { loadConfig } from '../../cli/config.ts';
import { describeWithService } from '../infra/services.ts';

const exec = promisify(execFile);
const RULES = 'deploy/observability/alerts.yaml';
const RULE_TESTS = 'deploy/observability/alerts.test.yaml';
const DASHBOARD = 'deploy/observability/grafana-dashboard.json';
const ALERT_NAMES = [...readFileSync(RULES, 'utf8').matchAll(/- alert: (\w+)/g)].map((m) => m[1]!);

describeWithService('promtool', 'alert rules under promtool', (env) => {
  const promtool = env.KUBETIME_PROMTOOL!;

  it('promtool check rules accepts every rule', async () => {
    const { stdout } = await exec(promtool, ['check', 'rules', RULES]);
    expect(stdout).toContain(`SUCCESS: ${ALERT_NAMES.length} rules found`);
  });

  it('promtool test rules: every alert fires on its synthetic series and only then', async () => {
    const tests = readFileSync(RULE_TESTS, 'utf8');
    for (const name of ALERT_NAMES) expect(tests, `a test for ${name}`).toMatch(new RegExp(`alertname: ${name}\\n\\s+exp_alerts:\\n\\s+- exp_labels`));
    const r = await exec(promtool, ['test', 'rules', RULE_TESTS]).then((x) => ({ ok: true, out: x.stdout + x.stderr }), (e) => ({ ok: false, out: `${e.stdout}${e.stderr}` }));
    expect(r.out).toContain('SUCCESS');
    expect(r.ok, r.out).toBe(true);
  });
});

/** Metric names a PromQL expression reads (kubetime's own and prom-client's default ones). */
function metricsIn(expr: string): string[] {
  return [...expr.matchAll(/\b((?:kubetime|process|nodejs)_[a-zA-Z0-9_]+)\b/g)].map((m) => m[1]!);
}

describe('alerts and dashboard name only metrics kubetime exports', () => {
  let app: App;
  let dir: string;
  let exported: Set<string>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubetime-kit-'));
    const config = loadConfig({ KUBETIME_DATA_DIR: dir, KUBETIME_DISK_BUDGET: '1Gi', KUBETIME_WATCH: 'false' });
    app = await createApp(config, { logger: pino({ level: 'silent' }) });
    const items = readFileSync('test/fixtures/audit/orders.ndjson', 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    await app.sink.ingestList({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items });
    await app.compactor.runOnce();
    const server = createServer(app);
    const res = await server.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    exported = new Set();
    for (const m of res.body.matchAll(/^# TYPE (\S+) (\w+)$/gm)) {
      exported.add(m[1]!);
      if (m[2] === 'histogram') for (const s of ['_bucket', '_sum', '_count']) exported.add(m[1]! + s);
    }
    await server.close();
  });

  afterAll(async () => {
    await shutdown(app);
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the metrics the operations kit is built on', () => {
    for (const name of ['kubetime_ingest_lag_seconds', 'kubetime_spool_age_seconds', 'kubetime_store_operation_duration_seconds',
      'kubetime_snapshot_age_seconds', 'kubetime_retention_horizon_seconds', 'kubetime_disk_usage_bytes', 'kubetime_disk_budget_bytes',
      'process_cpu_seconds_total', 'nodejs_eventloop_lag_p99_seconds']) expect(exported, name).toContain(name);
  });

  it('every alert expression reads exported metrics', () => {
    const exprs = [...readFileSync(RULES, 'utf8').matchAll(/expr: \|?\n?((?:\s{10,}.*\n)+|.*\n)/g)].map((m) => m[1]!);
    expect(exprs).toHaveLength(ALERT_NAMES.length);
    for (const e of exprs) {
      expect(metricsIn(e).length, e).toBeGreaterThan(0);
      for (const name of metricsIn(e)) expect(exported, `${name} in ${e.trim()}`).toContain(name);
    }
  });

  it('every dashboard query reads exported metrics', () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8'));
    const targets = dashboard.panels.flatMap((p: { targets?: { expr: string }[] }) => p.targets ?? []);
    expect(targets.length).toBeGreaterThan(15);
    const queries = [...targets.map((t: { expr: string }) => t.expr), ...dashboard.templating.list.map((v: { definition?: string }) => v.definition ?? '')];
    for (const q of queries.filter(Boolean)) {
      expect(metricsIn(q).length, q).toBeGreaterThan(0);
      for (const name of metricsIn(q)) expect(exported, `${name} in ${q}`).toContain(name);
    }
  });
});
