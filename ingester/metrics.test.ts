import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parsePrometheus } from '../history-api/testing/prometheus.ts';
import { IngestMetrics } from './metrics.ts';

describe('IngestMetrics on the process registry', () => {
  it('shows the values recorded so far at every scrape, with their labels', async () => {
    const registry = new Registry();
    const m = new IngestMetrics(registry);
    m.recordsTotal.inc({ source: 'watch' }, 3);
    m.relistsTotal.inc({ reason: 'gone' });
    m.trackedObjects.set({ gk: 'Pod', namespace: 'shop' }, 7);
    const first = parsePrometheus(await registry.metrics());
    expect(first.types.get('kubetime_ingest_records_total')).toBe('counter');
    expect(first.types.get('kubetime_tracked_objects')).toBe('gauge');
    const value = (samples: typeof first.samples, name: string) => samples.find((s) => s.name === name)?.value;
    expect(value(first.samples, 'kubetime_ingest_records_total')).toBe(3);
    expect(first.samples.find((s) => s.name === 'kubetime_relists_total')?.labels).toEqual({ reason: 'gone' });
    expect(first.samples.find((s) => s.name === 'kubetime_tracked_objects')?.labels).toEqual({ gk: 'Pod', namespace: 'shop' });
    m.recordsTotal.inc({ source: 'watch' }, 2);
    expect(value(parsePrometheus(await registry.metrics()).samples, 'kubetime_ingest_records_total')).toBe(5);
  });

  it('leaves out label sets a family did not declare instead of failing the scrape', async () => {
    const registry = new Registry();
    const m = new IngestMetrics(registry);
    m.recordsTotal.inc({ source: 'watch', extra: 'x' });
    m.recordsTotal.inc({ source: 'audit' });
    const samples = parsePrometheus(await registry.metrics()).samples.filter((s) => s.name === 'kubetime_ingest_records_total');
    expect(samples).toEqual([{ name: 'kubetime_ingest_records_total', labels: { source: 'audit' }, value: 1 }]);
  });

  it('registers once per registry: a second IngestMetrics on it does not throw', () => {
    const registry = new Registry();
    new IngestMetrics(registry);
    expect(() => new IngestMetrics(registry)).not.toThrow();
  });
});
