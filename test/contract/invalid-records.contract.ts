/**
 * Part of the HistoryStore contract (history-store.contract.ts): invalid records. Every adapter
 * refuses a batch holding one with INVALID_ARGUMENT — never STORE_UNAVAILABLE, which would make
 * the write path spool and retry it forever — before writing anything of it, and a kind's scope
 * (namespaced or not) stays what its first record made it (core/record-limits.ts).
 */
import { expect, it } from 'vitest';
import type { HistoryStore } from '../../core/ports.ts';
import { MAX_OBJECT_BYTES, MAX_OBJECT_DEPTH } from '../../core/record-limits.ts';
import type { ChangeRecord, KubeObject } from '../../core/record.ts';

type Rec = (over: Partial<ChangeRecord> & { name?: string; uid?: string; rv?: string }) => ChangeRecord;

/** An object nested `depth` levels deep (built without recursion). */
export function nested(depth: number): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  let at = root;
  for (let i = 1; i < depth; i++) {
    const next: Record<string, unknown> = {};
    at.a = next;
    at = next;
  }
  return root;
}

const refused = (reason: string) => expect.objectContaining({ code: 'INVALID_ARGUMENT', details: expect.objectContaining({ reason }) });

async function nothingStored(store: HistoryStore): Promise<void> {
  const key = { cluster: 'c1', gk: 'Pod', namespace: 'shop', name: 'orders-1' };
  const got = [];
  for await (const r of store.revisions({ key, order: 'asc' })) got.push(r);
  expect(got).toEqual([]);
}

/** The invalid-record cases, registered inside an adapter's contract describe block. */
export function invalidRecordsContract(getStore: () => HistoryStore, rec: Rec, pod: (name: string, uid: string, rv: string, extra?: Record<string, unknown>) => KubeObject): void {
  it('refuses a record that breaks the schema with INVALID_ARGUMENT, storing nothing of its batch', async () => {
    const store = getStore();
    const bad = { ...rec({ uid: 'uid-2', name: 'orders-2' }), uid: '' };
    await expect(store.append([rec({ op: 'ADDED' }), bad])).rejects.toEqual(refused('invalid'));
    await nothingStored(store);
  });

  it(`refuses an object nested deeper than ${MAX_OBJECT_DEPTH} levels (even ~6,000) with INVALID_ARGUMENT`, async () => {
    const store = getStore();
    for (const depth of [MAX_OBJECT_DEPTH + 1, 6000]) {
      const deep = rec({ op: 'ADDED', object: pod('orders-1', 'uid-1', '100', { spec: nested(depth) }) });
      await expect(store.append([deep])).rejects.toEqual(refused('depth'));
    }
    await nothingStored(store);
    // Just within the limit is stored.
    const ok = rec({ op: 'ADDED', object: pod('orders-1', 'uid-1', '100', { spec: nested(MAX_OBJECT_DEPTH - 2) }) });
    expect(await store.append([ok])).toEqual({ inserted: 1, merged: 0, duplicates: 0 });
  });

  it(`refuses an object larger than ${MAX_OBJECT_BYTES} bytes with INVALID_ARGUMENT`, async () => {
    const store = getStore();
    const big = rec({ op: 'ADDED', object: pod('orders-1', 'uid-1', '100', { data: { blob: 'x'.repeat(MAX_OBJECT_BYTES + 1) } }) });
    await expect(store.append([big])).rejects.toEqual(refused('size'));
    await nothingStored(store);
  });

  it("keeps a kind's scope: a conflicting record is refused, never flips it", async () => {
    const store = getStore();
    await store.append([rec({ op: 'ADDED' })]);
    const unnamespaced = rec({ name: 'orders-2', uid: 'uid-2', namespace: '', op: 'ADDED' });
    await expect(store.append([unnamespaced])).rejects.toEqual(refused('scope'));
    expect((await store.kinds('c1')).find((k) => k.kind === 'Pod')?.namespaced).toBe(true);
    // Within one batch the first record of a new kind decides.
    const node = (name: string, namespace: string) => rec({ name, uid: name, kind: 'Node', resource: 'nodes', namespace, op: 'ADDED' });
    await expect(store.append([node('n1', ''), node('n2', 'shop')])).rejects.toEqual(refused('scope'));
    await store.append([node('n1', '')]);
    await expect(store.append([node('n3', 'shop')])).rejects.toEqual(refused('scope'));
    expect((await store.kinds('c1')).find((k) => k.kind === 'Node')?.namespaced).toBe(false);
  });
}
