import { describe, expect, it } from 'vitest';
import type { ChangeRecord } from '../../core/record.ts';
import { settle } from '../testing/fake-timing.ts';
import { WriteWindow, type DurableMark } from './write-window.ts';

/** A writer whose writes resolve (or fail) when the test says so, in any order. */
function manualWriter() {
  const pending: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  return {
    pending,
    write: (_records: readonly ChangeRecord[]) => new Promise<void>((resolve, reject) => void pending.push({ resolve, reject })),
  };
}

const rec = (uid: string) => ({ uid }) as ChangeRecord;
const mark = (rv: number): DurableMark => ({ resourceVersion: String(rv), at: rv });

/** A window over a manual writer, with three writes pushed (marks 1, 2, 3 unless given). */
async function windowWithWrites(marks: (number | undefined)[] = [1, 2, 3]) {
  const w = manualWriter();
  const seen: string[] = [];
  const win = new WriteWindow({ writer: w, maxRecords: 100, onDurable: (m) => void seen.push(m.resourceVersion) });
  for (const [i, m] of marks.entries()) await win.push([rec(`r${i}`)], m === undefined ? undefined : mark(m));
  return { w, seen, win };
}

describe('WriteWindow durable marks', () => {
  it('reports marks in push order only once every earlier write is durable, though writes resolve out of order', async () => {
    const { w, seen, win } = await windowWithWrites([1, 2]);
    await win.push([], mark(3)); // a bookmark: no records, waits for the earlier writes
    await win.push([rec('c')], mark(4));
    await win.push([rec('d')]); // records of a batch that did not move the stream
    w.pending[1]!.resolve(); // b before a
    w.pending[2]!.resolve(); // c before a
    await settle();
    expect(seen).toEqual([]);
    w.pending[0]!.resolve();
    await settle();
    expect(seen).toEqual(['4']); // a, b, the bookmark and c are durable: the latest mark among them
    w.pending[3]!.resolve();
    await win.drain();
    expect(seen).toEqual(['4']);
    await win.push([], mark(5));
    expect(seen).toEqual(['4', '5']);
  });

  it('never reports a mark at or after a failed write', async () => {
    const { w, seen, win } = await windowWithWrites();
    w.pending[0]!.resolve();
    w.pending[1]!.reject(new Error('disk full'));
    w.pending[2]!.resolve();
    await expect(win.drain()).rejects.toThrow('disk full');
    expect(seen).toEqual(['1']);
  });
});
