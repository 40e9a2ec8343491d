import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { builtinKind } from '../../core/kinds.ts';
import type { ChangeRecord } from '../../core/record.ts';
import { formatTime, parseRfc3339, type Micros } from '../../core/time.ts';
import { LmdbHistoryStore } from '../../store/lmdb/lmdb-history-store.ts';
import { AuditSink } from './audit-sink.ts';
import { IngestMetrics } from '../metrics.ts';
import { AuditPlausibility } from './plausibility.ts';

const RECEIVED = parseRfc3339('2026-01-10T12:00:00Z')!;
const SEC = 1_000_000;

/** An audit event of an update of Deployment `web` answered with the object at resourceVersion `rv`. */
function update(rv: string, at: Micros, over: { user?: string; namespace?: string; created?: string; kind?: string; resource?: string } = {}) {
  const namespace = over.namespace ?? 'shop';
  return {
    auditID: `a-${rv}-${at}`, stage: 'ResponseComplete', verb: 'update', user: { username: over.user ?? 'alice' },
    stageTimestamp: formatTime(at), responseStatus: { code: 200 },
    objectRef: { resource: over.resource ?? 'deployments', apiGroup: over.kind ? '' : 'apps', namespace, name: 'web' },
    responseObject: {
      kind: over.kind ?? 'Deployment', apiVersion: over.kind ? 'v1' : 'apps/v1',
      metadata: { name: 'web', ...(namespace ? { namespace } : {}), uid: 'uid-web', resourceVersion: rv, creationTimestamp: over.created ?? '2026-01-10T11:00:00Z' },
      spec: { replicas: Number(rv) },
    },
  };
}

let dir: string;
let store: LmdbHistoryStore;
let metrics: IngestMetrics;
let sink: AuditSink;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kubetime-plausible-'));
  store = LmdbHistoryStore.open({ path: dir });
  metrics = new IngestMetrics();
  const plausibility = new AuditPlausibility({ store, metrics, namespaced: (g, k) => builtinKind(g, k)?.namespaced });
  sink = new AuditSink({ writer: { write: async (r) => void (await store.append(r)) }, clock: { now: () => RECEIVED }, cluster: 'c', plausibility });
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function stored(): Promise<ChangeRecord[]> {
  const out: ChangeRecord[] = [];
  for await (const r of store.revisions({ key: { cluster: 'c', gk: 'Deployment.apps', namespace: 'shop', name: 'web' }, order: 'asc' })) out.push(r);
  return out;
}

describe('audit plausibility', () => {
  it('refuses a re-posted revision with another user and a 2020 time; the rest of the batch is stored', async () => {
    await sink.ingestList({ items: [update('10', RECEIVED - 60 * SEC)] }, undefined, RECEIVED);
    const forged = update('10', parseRfc3339('2020-01-01T00:00:00Z')!, { user: 'mallory' });
    const result = await sink.ingestList({ items: [forged, update('11', RECEIVED - 30 * SEC)] }, undefined, RECEIVED);
    expect(result).toMatchObject({ accepted: 1, refused: 1 });
    expect((await stored()).map((r) => [r.resourceVersion, r.ts, r.actor?.username])).toEqual([
      ['10', RECEIVED - 60 * SEC, 'alice'], ['11', RECEIVED - 30 * SEC, 'alice'],
    ]);
    expect(metrics.auditRefusedTotal.get({ reason: 'skew' })).toBe(1);
  });

  it('refuses a time before the object was created, even within the allowed skew', async () => {
    const early = update('10', RECEIVED - 5 * 60 * SEC, { created: '2026-01-10T11:59:00Z' });
    expect(await sink.ingestList({ items: [early] }, undefined, RECEIVED)).toMatchObject({ accepted: 0, refused: 1 });
    expect(await stored()).toEqual([]);
    expect(metrics.auditRefusedTotal.get({ reason: 'before-creation' })).toBe(1);
  });

  it('refuses a time before an audit-timed earlier revision of the same object (beyond a concurrency tolerance)', async () => {
    await sink.ingestList({ items: [update('10', RECEIVED - 10 * SEC)] }, undefined, RECEIVED);
    expect(await sink.ingestList({ items: [update('11', RECEIVED - 20 * SEC)] }, undefined, RECEIVED)).toMatchObject({ refused: 1 });
    // Two concurrent requests may complete in the other order by a few milliseconds.
    expect(await sink.ingestList({ items: [update('12', RECEIVED - 10 * SEC - 3000)] }, undefined, RECEIVED)).toMatchObject({ accepted: 1 });
    expect((await stored()).map((r) => r.resourceVersion)).toEqual(['12', '10']);
    expect(metrics.auditRefusedTotal.get({ reason: 'before-previous' })).toBe(1);
  });

  it('refuses a record whose namespace contradicts its kind (a Pod without one)', async () => {
    const pod = update('10', RECEIVED - SEC, { kind: 'Pod', resource: 'pods', namespace: '' });
    expect(await sink.ingestList({ items: [pod] }, undefined, RECEIVED)).toMatchObject({ refused: 1 });
    expect(await store.kinds('c')).toEqual([]);
    expect(metrics.auditRefusedTotal.get({ reason: 'scope' })).toBe(1);
  });

  it('does not compare an import with the clock: an old log is old by nature', async () => {
    const old = update('10', parseRfc3339('2025-06-01T00:00:00Z')!, { created: '2025-05-01T00:00:00Z' });
    expect(await sink.ingestEvents([old])).toMatchObject({ accepted: 1 });
  });
});
