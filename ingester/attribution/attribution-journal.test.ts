import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { all } from '../../core/scope.ts';
import { LmdbHistoryStore } from '../../store/lmdb/lmdb-history-store.ts';
import { pod, rec } from '../../test/contract/history-store.contract.ts';
import { AttributingWriter } from './attributing-writer.ts';
import { AttributionJournal } from './attribution-journal.ts';
import { Attributor, type Attribution } from './attributor.ts';
import { recallRecentRevisions } from './attributor-recall.ts';

const S = 1_000_000;
const T0 = Date.UTC(2026, 0, 10, 10, 0, 0) * 1000;
const KEY = { cluster: 'c1', gk: 'Pod', namespace: 'shop', name: 'orders-1' };
const scale = (rv: string, auditID: string): Attribution => ({
  cluster: 'c1', uid: 'uid-1', match: { by: 'rv', rv }, ts: T0 + Number(rv) * S - 400_000, verb: 'patch', actor: { username: 'alice' }, auditID,
});
const lines = (path: string) => readFileSync(path, 'utf8').split('\n').filter(Boolean).length;

describe('AttributionJournal', () => {
  let dir = '';
  let path = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kubetime-journal-'));
    path = join(dir, 'attributions.ndjson');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('gives back after a reopen what was appended, skipping a torn last line', async () => {
    const first = await AttributionJournal.open({ path, waiting: () => [] });
    expect(first.restored).toEqual([]);
    await first.journal.append([scale('5', 'a1'), scale('6', 'a2')]);
    await first.journal.append([scale('7', 'a3')]);
    await first.journal.close();
    appendFileSync(path, '{"cluster":"c1","uid":"uid-1","mat'); // a crash mid-append
    const again = await AttributionJournal.open({ path, waiting: () => [] });
    expect(again.restored).toEqual([scale('5', 'a1'), scale('6', 'a2'), scale('7', 'a3')]);
    expect(again.torn).toBe(1);
    await again.journal.close();
  });

  it('reads lines an older kubetime wrote, whose match was untagged, as the tagged form they mean', async () => {
    const old = (match: unknown, extra: Record<string, unknown> = {}) => JSON.stringify({ cluster: 'c1', uid: 'uid-1', match, ts: T0, verb: 'patch', actor: { username: 'alice' }, auditID: 'a1', ...extra });
    const named = { named: { gk: 'Pod', namespace: 'shop', name: 'orders-1' }, uid: '' };
    appendFileSync(path, [
      old({ rv: '7' }), old({ nodeName: 'n1' }), old({ graceZeroBefore: '12' }), old({ terminatingAt: T0 }, named), old({ disruptedAt: T0 }, named),
      old({ within: { from: T0 - S, to: T0, ops: ['MODIFIED', 'DELETED'] } }, named),
      old({ by: 'rv', rv: '8' }), // the current form
      old({ within: { from: 'x' } }), old({ sideways: 1 }), old({ by: 'teleport' }), // none of them
    ].map((l) => `${l}\n`).join(''));
    const { journal, restored, torn } = await AttributionJournal.open({ path, waiting: () => [] });
    await journal.close();
    expect(restored.map((a) => a.match)).toEqual([
      { by: 'rv', rv: '7' }, { by: 'nodeName', nodeName: 'n1' }, { by: 'graceZeroBefore', rv: '12' }, { by: 'terminatingAt', at: T0 }, { by: 'disruptedAt', at: T0 },
      { by: 'within', window: { from: T0 - S, to: T0, ops: ['MODIFIED', 'DELETED'] } }, { by: 'rv', rv: '8' },
    ]);
    expect(torn).toBe(3);
    // What an old line names is still found: the Scale's revision gets its actor.
    const attributor = new Attributor({ now: () => T0 });
    attributor.noteDurable([rec({ rv: '7', uid: 'uid-1', ts: T0 + S, source: 'watch', object: pod('orders-1', 'uid-1', '7') })]);
    expect(attributor.attribute([restored[0]!]).map((r) => [r.resourceVersion, r.actor?.username, r.ts])).toEqual([['7', 'alice', T0]]);
  });

  it('is rewritten with what still waits, when it grew past it and when compacted', async () => {
    let waiting: Attribution[] = [];
    const { journal } = await AttributionJournal.open({ path, waiting: () => waiting, slack: 2 });
    waiting = [scale('1', 'a1')];
    await journal.append([scale('1', 'a1')]);
    await journal.append([scale('2', 'a2')]);
    expect(lines(path)).toBe(2); // 2 lines <= 2 × 1 waiting + 2
    await journal.append([scale('3', 'a3'), scale('4', 'a4'), scale('5', 'a5')]);
    expect(lines(path)).toBe(1); // 5 lines > 4: rewritten with the one still waiting
    waiting = [];
    await journal.compact();
    expect(lines(path)).toBe(0);
    await journal.append([scale('9', 'a9')]); // appends continue into the rewritten file
    await journal.close();
    expect((await AttributionJournal.open({ path, waiting: () => [] })).restored).toEqual([scale('9', 'a9')]);
  });
});

describe('AttributingWriter with a journal', () => {
  it('answers the audit sink only once a waiting attribution is journaled', async () => {
    let release!: () => void;
    const appended: Attribution[][] = [];
    const journal = { append: (as: readonly Attribution[]) => new Promise<void>((r) => { appended.push([...as]); release = r; }) };
    const w = new AttributingWriter({ inner: { write: async () => {} }, attributor: new Attributor({ now: () => T0 }), onError: (e) => { throw e; }, journal });
    let answered = false;
    const p = w.writeAudited([], [scale('5', 'a1')]).then(() => void (answered = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(appended).toEqual([[scale('5', 'a1')]]);
    expect(answered).toBe(false);
    release();
    await p;
    expect(answered).toBe(true);
  });

  it('keeps the time and actor of an attribution that waited when the process crashed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubetime-journal-'));
    const path = join(dir, 'attributions.ndjson');
    const store = LmdbHistoryStore.open({ path: join(dir, 'store') });
    const processAt = async (now: number) => {
      const attributor = new Attributor({ now: () => now });
      const { journal, restored } = await AttributionJournal.open({ path, waiting: () => attributor.waiting() });
      const writer = new AttributingWriter({ inner: { write: async (r) => void (await store.append(r)) }, attributor, journal, onError: (e) => { throw e; } });
      return { writer, journal, restored };
    };
    const watched = (rv: string, ts: number) => rec({ rv, ts, source: 'watch', op: rv === '1' ? 'ADDED' : 'MODIFIED', object: pod('orders-1', 'uid-1', rv) });
    try {
      const old = await processAt(T0 + 2 * S);
      await old.writer.write([watched('1', T0 + S)]);
      // The scale's audit batch arrives before the watch brings revision 2: it waits, journaled.
      await old.writer.writeAudited([], [scale('2', 'a1')]);
      await old.journal.close(); // the process dies here
      // The next process watches revision 2 only after its restart, seconds after the change.
      const next = await processAt(T0 + 9 * S);
      expect(next.restored).toEqual([scale('2', 'a1')]);
      await recallRecentRevisions(next.writer, store, 'c1');
      expect(await next.writer.restore(next.restored)).toBe(0); // still waiting for its revision
      await next.writer.write([watched('2', T0 + 8 * S)]);
      await next.writer.settled();
      const revs = await all(store.revisions({ key: KEY, order: 'asc' }));
      expect(revs.map((r) => [r.resourceVersion, r.ts, r.actor?.username])).toEqual([['1', T0 + S, undefined], ['2', scale('2', 'a1').ts, 'alice']]);
      // Restored again by a third process, it merges nothing twice and expires once too old.
      await next.journal.close();
      const third = await processAt(T0 + 9 * S);
      expect(await third.writer.restore(third.restored)).toBe(0);
      const late = new Attributor({ now: () => T0 + 60 * 60 * S });
      expect(late.restore(third.restored)).toEqual([]);
      expect(late.size.waiting).toBe(0);
      await third.journal.close();
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
