import { describe, expect, it } from 'vitest';
import type { ChangeRecord } from '../../core/record.ts';
import { WritePipeline } from './pipeline.ts';
import { FakeTiming, settle } from '../testing/fake-timing.ts';

const rec = (i: number): ChangeRecord => ({
  cluster: 'c', apiVersion: 'v1', group: '', kind: 'Pod', resource: 'pods', namespace: 'default', name: `p${i}`,
  uid: `u${i}`, resourceVersion: String(i), op: 'ADDED', ts: i, observedAt: i, source: 'watch', object: null,
});
const recs = (from: number, n: number) => Array.from({ length: n }, (_, i) => rec(from + i));

/** A sink whose writes complete only when the test says so. */
function manualSink() {
  const batches: { records: readonly ChangeRecord[]; done: () => void; fail: (e: unknown) => void }[] = [];
  return {
    batches,
    write: (records: readonly ChangeRecord[]) => new Promise<void>((done, fail) => batches.push({ records, done, fail })),
  };
}

describe('WritePipeline', () => {
  it('writes one huge write as batches of at most maxBatchRecords, in order, resolving with the last', async () => {
    const sink = manualSink();
    const p = new WritePipeline({ sink, maxBatchRecords: 4, maxQueuedRecords: 8, lingerMs: 0 });
    let resolved = false;
    void p.write(recs(0, 10)).then(() => (resolved = true));
    for (let i = 0; i < 3; i++) {
      await settle();
      expect(resolved).toBe(false);
      sink.batches[i]!.done();
    }
    await settle();
    expect(sink.batches.map((b) => b.records.length)).toEqual([4, 4, 2]);
    expect(sink.batches.flatMap((b) => b.records.map((r) => r.uid))).toEqual(recs(0, 10).map((r) => r.uid));
    expect(resolved).toBe(true);
  });

  it('groups concurrent writes into batches in arrival order, one batch in flight', async () => {
    const sink = manualSink();
    const p = new WritePipeline({ sink, maxBatchRecords: 5, lingerMs: 0 });
    const done: number[] = [];
    p.write(recs(0, 2)).then(() => done.push(0));
    await settle();
    expect(sink.batches).toHaveLength(1);
    p.write(recs(2, 2)).then(() => done.push(1));
    p.write(recs(4, 2)).then(() => done.push(2));
    p.write(recs(6, 2)).then(() => done.push(3));
    await settle();
    expect(sink.batches).toHaveLength(1); // the first is still being written
    sink.batches[0]!.done();
    await settle();
    expect(done).toEqual([0]);
    expect(sink.batches[1]!.records.map((r) => r.uid)).toEqual(['u2', 'u3', 'u4', 'u5']); // 6 would exceed 5
    sink.batches[1]!.done();
    await settle();
    sink.batches[2]!.done();
    await settle();
    expect(done).toEqual([0, 1, 2, 3]);
    expect(sink.batches.flatMap((b) => b.records.map((r) => r.uid))).toEqual(recs(0, 8).map((r) => r.uid));
  });

  it('lingers briefly on an idle pipeline to fill a batch', async () => {
    const sink = manualSink();
    const timing = new FakeTiming();
    const p = new WritePipeline({ sink, maxBatchRecords: 100, lingerMs: 20, timing });
    void p.write(recs(0, 1));
    void p.write(recs(1, 1));
    await settle();
    expect(sink.batches).toHaveLength(0);
    await timing.advance(20);
    expect(sink.batches.map((b) => b.records.length)).toEqual([2]);
  });

  it('holds writers back beyond maxQueuedRecords, keeping their order', async () => {
    const sink = manualSink();
    const p = new WritePipeline({ sink, maxBatchRecords: 3, maxQueuedRecords: 4, lingerMs: 0 });
    const order: string[] = [];
    void p.write(recs(0, 3)).then(() => order.push('a'));
    void p.write(recs(3, 3)).then(() => order.push('b')); // over the limit: waits
    void p.write(recs(6, 1)).then(() => order.push('c')); // fits, but must not overtake b
    await settle();
    expect(p.pending).toBe(7);
    expect(sink.batches).toHaveLength(1);
    sink.batches[0]!.done();
    await settle();
    expect(sink.batches[1]!.records.map((r) => r.uid)).toEqual(['u3', 'u4', 'u5']);
    sink.batches[1]!.done();
    await settle();
    sink.batches[2]!.done();
    await settle();
    expect(order).toEqual(['a', 'b', 'c']);
  });

  it('rejects the writes of a failed batch and carries on', async () => {
    const sink = manualSink();
    const p = new WritePipeline({ sink, lingerMs: 0 });
    const first = p.write(recs(0, 1));
    await settle();
    sink.batches[0]!.fail(new Error('disk full'));
    await expect(first).rejects.toThrow('disk full');
    const second = p.write(recs(1, 1));
    await settle();
    sink.batches[1]!.done();
    await expect(second).resolves.toBeUndefined();
  });

  it('settled() waits for the writes made before it and for the sink to settle, not for later writes', async () => {
    const batches: { records: readonly ChangeRecord[]; done: () => void }[] = [];
    let sinkSettled = false;
    let releaseSink!: () => void;
    const sink = {
      write: (records: readonly ChangeRecord[]) => new Promise<void>((done) => batches.push({ records, done })),
      settled: () => new Promise<void>((r) => (releaseSink = () => ((sinkSettled = true), r()))),
    };
    const p = new WritePipeline({ sink, lingerMs: 0 });
    void p.write(recs(0, 1));
    void p.write(recs(1, 1));
    let settled = false;
    void p.settled().then(() => (settled = true));
    await settle();
    void p.write(recs(2, 1)); // after the call: not waited for
    batches[0]!.done();
    await settle();
    expect(settled).toBe(false);
    batches[1]!.done();
    await settle();
    expect(settled).toBe(false); // records durable in the sink, the sink not yet settled
    releaseSink();
    await settle();
    expect(settled && sinkSettled).toBe(true);
    expect(batches.flatMap((b) => b.records.map((r) => r.uid))).toEqual(['u0', 'u1', 'u2']);
  });

  it('close() flushes what is queued and refuses new writes', async () => {
    const written: number[] = [];
    const p = new WritePipeline({ sink: { write: async (r) => void written.push(r.length) }, lingerMs: 0, maxBatchRecords: 2 });
    const all = Promise.all([p.write(recs(0, 2)), p.write(recs(2, 2))]);
    await p.close();
    await all;
    expect(written).toEqual([2, 2]);
    await expect(p.write(recs(9, 1))).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
  });
});
