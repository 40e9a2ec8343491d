import { describe, expect, it } from 'vitest';
import type { ChangeRecord } from '../../core/record.ts';
import { AuditSink } from './audit-sink.ts';
import type { Attribution } from '../attribution/attributor.ts';

const scale = {
  auditID: 's1', stage: 'ResponseComplete', verb: 'patch', user: { username: 'alice' }, stageTimestamp: '2026-01-10T10:00:00.000001Z',
  objectRef: { resource: 'deployments', apiGroup: 'apps', namespace: 'ns', name: 'd', subresource: 'scale' }, responseStatus: { code: 200 },
  responseObject: { kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: 'd', namespace: 'ns', uid: 'du', resourceVersion: '9' } },
};
const clock = { now: () => 1 };

describe('AuditSink', () => {
  it('hands attributions to a writer that takes them, and counts such events accepted', async () => {
    const calls: [ChangeRecord[], Attribution[]][] = [];
    const writer = { write: async () => {}, writeAudited: async (r: readonly ChangeRecord[], a: readonly Attribution[]) => void calls.push([[...r], [...a]]) };
    const sink = new AuditSink({ writer, clock, cluster: 'c' });
    expect(await sink.ingestEvents([scale])).toEqual({ accepted: 1, ignored: 0, skipped: {} });
    expect(calls).toEqual([[[], [expect.objectContaining({ uid: 'du', match: { by: 'rv', rv: '9' } })]]]);
  });

  it('ignores them where nothing can take them (an import has no watched revisions)', async () => {
    const written: ChangeRecord[][] = [];
    const sink = new AuditSink({ writer: { write: async (r) => void written.push([...r]) }, clock, cluster: 'c' });
    expect(await sink.ingestEvents([scale])).toEqual({ accepted: 0, ignored: 1, skipped: { subresource: 1 } });
    expect(written).toEqual([]);
  });

  it('converts a 100k-event batch in chunks, letting the event loop turn (a /healthz is answered meanwhile)', async () => {
    const written: ChangeRecord[] = [];
    const sink = new AuditSink({ writer: { write: async (r) => void written.push(...r) }, clock, cluster: 'c' });
    const event = (i: number) => ({
      ...scale, auditID: `e${i}`, verb: 'update', objectRef: { resource: 'configmaps', namespace: 'ns', name: `cm${i}` },
      responseObject: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: `cm${i}`, namespace: 'ns', uid: `u${i}`, resourceVersion: String(i + 1) } },
    });
    const events = Array.from({ length: 100_000 }, (_, i) => event(i));
    let turns = 0;
    let ingesting = true;
    const tick = () => {
      turns++;
      if (ingesting) setImmediate(tick);
    };
    setImmediate(tick);
    const result = await sink.ingestEvents(events);
    ingesting = false;
    expect(result.accepted).toBe(100_000);
    expect(written).toHaveLength(100_000);
    expect(turns).toBeGreaterThan(10);
  });
});
