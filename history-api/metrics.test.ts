import { describe, expect, it } from 'vitest';
import { MetricsRegistry } from './metrics.ts';
import { parsePrometheus } from './testing/prometheus.ts';

describe('MetricsRegistry', () => {
  it('renders counters with escaped label values in a parseable format', async () => {
    const reg = new MetricsRegistry();
    const c = reg.counter({ name: 'kubetime_test_total', help: 'A test\ncounter.', labelNames: ['path'] });
    c.inc({ path: 'a"b\\c\nd' }, 2);
    c.inc({ path: 'x' });
    const { types, samples } = parsePrometheus(await reg.render());
    expect(types.get('kubetime_test_total')).toBe('counter');
    expect(samples).toEqual([
      { name: 'kubetime_test_total', labels: { path: 'a"b\\c\nd' }, value: 2 },
      { name: 'kubetime_test_total', labels: { path: 'x' }, value: 1 },
    ]);
  });

  it('renders cumulative histogram buckets ending with +Inf = count', async () => {
    const reg = new MetricsRegistry();
    const h = reg.histogram({ name: 'kubetime_op_seconds', help: 'Op time.', labelNames: [], buckets: [0.1, 1] });
    for (const v of [0.05, 0.1, 0.5, 3]) h.observe({}, v);
    const { samples } = parsePrometheus(await reg.render());
    const byLe = Object.fromEntries(samples.filter((s) => s.name.endsWith('_bucket')).map((s) => [s.labels['le'], s.value]));
    expect(byLe).toEqual({ '0.1': 2, '1': 3, '+Inf': 4 });
    expect(samples.find((s) => s.name === 'kubetime_op_seconds_count')!.value).toBe(4);
    expect(samples.find((s) => s.name === 'kubetime_op_seconds_sum')!.value).toBeCloseTo(3.65);
  });

  it('refreshes collected gauges at scrape time', async () => {
    const reg = new MetricsRegistry();
    let depth = 3;
    reg.gauge({ name: 'kubetime_spool_records', help: 'Spooled records.', collect: (g) => g.set({}, depth) });
    expect(parsePrometheus(await reg.render()).samples[0]!.value).toBe(3);
    depth = 7;
    expect(parsePrometheus(await reg.render()).samples[0]!.value).toBe(7);
  });

  it('serves the last values of a gauge whose refresh fails, and counts the failure', async () => {
    const reg = new MetricsRegistry();
    let fail = false;
    reg.gauge({ name: 'kubetime_snapshot_age_seconds', help: 'Age.', collect: async (g) => {
      if (fail) throw new Error('snapshot store unreachable');
      g.set(42);
    } });
    expect(parsePrometheus(await reg.render()).samples.find((s) => s.name === 'kubetime_snapshot_age_seconds')?.value).toBe(42);
    fail = true;
    expect(parsePrometheus(await reg.render()).samples.find((s) => s.name === 'kubetime_snapshot_age_seconds')?.value).toBe(42);
    // Families render concurrently: the failure counted during one scrape shows from the next.
    const { samples } = parsePrometheus(await reg.render());
    const errors = samples.find((s) => s.name === 'kubetime_metrics_collect_errors_total');
    expect(errors?.labels).toEqual({ metric: 'kubetime_snapshot_age_seconds' });
    expect(errors?.value).toBeGreaterThanOrEqual(1);
  });

  it('returns the same metric on identical re-registration and refuses conflicting ones', async () => {
    const reg = new MetricsRegistry();
    const a = reg.counter({ name: 'kubetime_x_total', help: 'x', labelNames: ['a'] });
    expect(reg.counter({ name: 'kubetime_x_total', help: 'x', labelNames: ['a'] })).toBe(a);
    expect(() => reg.gauge({ name: 'kubetime_x_total', help: 'x', labelNames: ['a'] })).toThrow(/already registered/);
    expect(() => reg.counter({ name: 'kubetime_x_total', help: 'x', labelNames: ['b'] })).toThrow(/already registered/);
  });

  it('refuses bad names, labels, label sets and negative increments', async () => {
    const reg = new MetricsRegistry();
    expect(() => reg.counter({ name: 'bad-name', help: 'x' })).toThrow();
    expect(() => reg.histogram({ name: 'ok_seconds', help: 'x', labelNames: ['le'] })).toThrow();
    const c = reg.counter({ name: 'ok_total', help: 'x', labelNames: ['a'] });
    expect(() => c.inc({ b: '1' })).toThrow(/labelset/);
    expect(() => c.inc({ a: '1' }, -1)).toThrow();
    expect(parsePrometheus(await reg.render()).samples).toEqual([]);
  });

  it('renders nothing for an empty registry', async () => {
    expect((await new MetricsRegistry().render()).trim()).toBe('');
  });

  it('adds the default process and event-loop metrics once asked', async () => {
    const { types } = parsePrometheus(await new MetricsRegistry().collectDefaults().render());
    expect(types.get('process_cpu_seconds_total')).toBe('counter');
    expect(types.get('nodejs_eventloop_lag_seconds')).toBe('gauge');
    expect(types.get('process_resident_memory_bytes')).toBe('gauge');
  });
});
