import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ChangeWriter } from '../../core/ports.ts';
import type { ChangeRecord } from '../../core/record.ts';
import { LmdbHistoryStore } from '../../store/lmdb/lmdb-history-store.ts';
import { pod, rec } from '../../test/contract/history-store.contract.ts';
import { AttributingWriter } from './attributing-writer.ts';
import { Attributor, WATCH_LAG, type Attribution, type AttributionOutcome } from './attributor.ts';

const S = 1_000_000;
const T0 = Date.UTC(2026, 0, 10, 10, 0, 0) * 1000;

/** A watched revision of pod orders-1 (uid-1) with the given resourceVersion and object extras. */
const watched = (rv: string, extra: Record<string, unknown> = {}, uid = 'uid-1'): ChangeRecord =>
  rec({ rv, uid, ts: T0 + Number(rv) * S, source: 'watch', object: pod('orders-1', uid, rv, extra) });
const onNode = (node: string) => ({ spec: { nodeName: node } });
const unscheduled = { spec: {} };
const terminating = (grace: number) => ({ metadata: { name: 'orders-1', namespace: 'shop', uid: 'uid-1', resourceVersion: '0', deletionTimestamp: '2026-01-10T10:01:00Z', deletionGracePeriodSeconds: grace } });

const attribution = (match: Attribution['match'], auditID = 'a1', uid = 'uid-1'): Attribution => ({
  cluster: 'c1', uid, match, ts: T0 + 123, verb: 'patch', actor: { username: 'alice' }, auditID,
});

function attributor(opts: { ttl?: number; maxSeen?: number } = {}) {
  let now = T0;
  const outcomes: AttributionOutcome[] = [];
  const a = new Attributor({ now: () => now, onOutcome: (o) => outcomes.push(o), ...opts });
  return { a, outcomes, advance: (us: number) => (now += us) };
}

describe('Attributor', () => {
  it('gives a durable revision the exact time and actor of a Scale that names its resourceVersion', () => {
    const { a, outcomes } = attributor();
    expect(a.noteDurable([watched('5'), watched('6')])).toEqual([]);
    const [merge, ...rest] = a.attribute([attribution({ by: 'rv', rv: '6' })]);
    expect(rest).toEqual([]);
    expect(merge).toMatchObject({ uid: 'uid-1', resourceVersion: '6', op: 'MODIFIED', ts: T0 + 123, source: 'audit', actor: { username: 'alice' }, verb: 'patch', auditID: 'a1', object: null });
    expect(outcomes).toEqual(['merged']);
    // The same audit batch delivered again changes nothing, and does not wait either.
    expect(a.attribute([attribution({ by: 'rv', rv: '6' })])).toEqual([]);
    expect(a.size.waiting).toBe(0);
    // A controller may update the object a dozen times before the audit batch arrives.
    a.noteDurable(Array.from({ length: 30 }, (_, i) => watched(String(10 + i))));
    expect(a.attribute([attribution({ by: 'rv', rv: '10' }, 'a2')]).map((r) => r.resourceVersion)).toEqual(['10']);
  });

  it('keeps an attribution that comes first until its revision is durable', () => {
    const { a, outcomes } = attributor();
    expect(a.attribute([attribution({ by: 'rv', rv: '7' })])).toEqual([]);
    expect(a.size.waiting).toBe(1);
    expect(a.noteDurable([watched('6')])).toEqual([]);
    const [merge] = a.noteDurable([watched('7')]);
    expect(merge).toMatchObject({ resourceVersion: '7', ts: T0 + 123, actor: { username: 'alice' }, object: null });
    expect(a.size.waiting).toBe(0);
    expect(outcomes).toEqual(['merged']);
  });

  it('names the revision that put the pod on the node for a Binding, whichever comes first', () => {
    const revs = [watched('1', unscheduled), watched('2', onNode('n1')), watched('3', onNode('n1'))];
    const first = attributor();
    first.a.noteDurable(revs);
    expect(first.a.attribute([attribution({ by: 'nodeName', nodeName: 'n1' })]).map((r) => r.resourceVersion)).toEqual(['2']);
    expect(first.a.attribute([attribution({ by: 'nodeName', nodeName: 'n2' }, 'a2')])).toEqual([]);
    const later = attributor();
    later.a.attribute([attribution({ by: 'nodeName', nodeName: 'n1' })]);
    expect(later.a.noteDurable(revs).map((r) => r.resourceVersion)).toEqual(['2']);
    // The audit batch (the create and the kubelet's status update, with their objects) may be durable
    // before the watch brings the binding's revision; commit order still says which one bound it.
    const audited = attributor();
    audited.a.attribute([attribution({ by: 'nodeName', nodeName: 'n1' })]);
    audited.a.noteDurable([{ ...watched('1', unscheduled), op: 'ADDED', actor: { username: 'rs' } }, { ...watched('3', onNode('n1')), actor: { username: 'kubelet' } }]);
    expect(audited.a.noteDurable([watched('2', onNode('n1'))]).map((r) => r.resourceVersion)).toEqual(['2']);
    // A pod first seen on its node (a relist after kubetime was down): which revision bound it is unknown.
    const gap = attributor();
    gap.a.noteDurable([{ ...watched('7', onNode('n1')), source: 'relist', gap: true }, watched('8', onNode('n1'))]);
    expect(gap.a.attribute([attribution({ by: 'nodeName', nodeName: 'n1' })])).toEqual([]);
  });

  it('names the grace-0 update just before the deletion a delete answered with', () => {
    const revs = [watched('4', terminating(30)), watched('6', terminating(0)), watched('9', terminating(0), 'uid-2')];
    const { a } = attributor();
    a.noteDurable(revs);
    expect(a.attribute([attribution({ by: 'graceZeroBefore', rv: '7' })]).map((r) => [r.uid, r.resourceVersion])).toEqual([['uid-1', '6']]);
    // Not the revision of the deletion itself or after it.
    const early = attributor();
    early.a.noteDurable([watched('4', terminating(30))]);
    expect(early.a.attribute([attribution({ by: 'graceZeroBefore', rv: '6' })])).toEqual([]);
    expect(early.a.noteDurable([watched('8', terminating(0))])).toEqual([]);
    expect(early.a.noteDurable([watched('5', terminating(0))]).map((r) => r.resourceVersion)).toEqual(['5']);
  });

  it('names the two revisions an eviction made (marked, then terminating), by the pod\'s name, whichever comes first', () => {
    // As kube-apiserver 1.34 writes them (seen in the fidelity run): the DisruptionTarget
    // condition, then the graceful delete (grace period 30 s here), then the kubelet's status.
    const EVICTED = T0 + 10 * S; // the eviction's audit time
    const iso = (us: number) => new Date(us / 1000).toISOString().replace('.000', '');
    const marked = { status: { conditions: [{ type: 'Ready', status: 'True' }, { type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', lastTransitionTime: iso(EVICTED) }] } };
    const terminating = (deletedAt: number, uid: string) => ({ ...marked, metadata: { name: 'orders-1', namespace: 'shop', uid, resourceVersion: '0', deletionTimestamp: iso(deletedAt + 30 * S), deletionGracePeriodSeconds: 30 } });
    const evictionRevs = (uid = 'uid-1', deletedAt = EVICTED) => [
      watched('1', {}, uid), watched('2', marked, uid), watched('3', terminating(deletedAt, uid), uid), watched('4', terminating(deletedAt, uid), uid),
    ];
    const eviction = (match: Attribution['match']): Attribution => ({ ...attribution(match, 'ev', ''), named: { gk: 'Pod', namespace: 'shop', name: 'orders-1' }, verb: 'create' });
    const both = () => [eviction({ by: 'disruptedAt', at: EVICTED + 400_000 }), eviction({ by: 'terminatingAt', at: EVICTED + 400_000 })];
    for (const auditFirst of [false, true]) {
      const { a } = attributor();
      const merged = auditFirst ? [...a.attribute(both()), ...a.noteDurable(evictionRevs())] : [...a.noteDurable(evictionRevs()), ...a.attribute(both())];
      expect(merged.map((r) => [r.uid, r.resourceVersion, r.ts, r.verb]).sort()).toEqual([['uid-1', '2', T0 + 123, 'create'], ['uid-1', '3', T0 + 123, 'create']]);
      expect(a.size.waiting).toBe(0);
      // The same audit batch again changes nothing.
      expect(a.attribute(both())).toEqual([]);
    }
    // A pod marked and deleted a minute away (another eviction, a kubectl delete) is not this one's.
    const { a } = attributor();
    expect(a.noteDurable([watched('1'), watched('2', { status: { conditions: [{ ...marked.status.conditions[1]!, lastTransitionTime: iso(EVICTED + 60 * S) }] } }), watched('3', terminating(EVICTED + 60 * S, 'uid-1'))])).toEqual([]);
    expect(a.attribute(both())).toEqual([]);
    expect(a.size.waiting).toBe(2);
    // A new pod under the same name (a StatefulSet's) is matched by its own revisions.
    expect(a.noteDurable(evictionRevs('uid-9')).map((r) => [r.uid, r.resourceVersion])).toEqual([['uid-9', '2'], ['uid-9', '3']]);
  });

  it('names the removal of a finished pod an eviction deleted at once, after its grace-0 revision, however late the watch brings it', () => {
    // A CI fidelity run (kube-apiserver 1.34): a Job's Succeeded pod evicted; the eviction wrote
    // DisruptionTarget (rv 2), grace 0 (rv 3) and removed it (rv 4); the watch brought the removal
    // 1.5 s after the eviction's answer, and kubetime dated it then, without actor.
    const EVICTED = T0 + 10 * S;
    const iso = (us: number) => new Date(us / 1000).toISOString().replace('.000', '');
    const marked = { status: { phase: 'Succeeded', conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', lastTransitionTime: iso(EVICTED) }] } };
    const graceZero = (finalizers?: string[]) => ({ ...marked, metadata: { name: 'orders-1', namespace: 'shop', uid: 'uid-1', resourceVersion: '0', deletionTimestamp: iso(EVICTED), deletionGracePeriodSeconds: 0, ...(finalizers ? { finalizers } : {}) } });
    const revs = (finalizers?: string[]) => [watched('1'), watched('2', marked), watched('3', graceZero(finalizers)), { ...watched('4', graceZero(finalizers)), op: 'DELETED' as const, observedAt: EVICTED + 1_500_000 }];
    const eviction = (match: Attribution['match'], id = 'ev'): Attribution => ({ ...attribution(match, id, ''), named: { gk: 'Pod', namespace: 'shop', name: 'orders-1' }, verb: 'create', ts: EVICTED + 400 });
    const all = (id = 'ev') => [eviction({ by: 'disruptedAt', at: EVICTED + 400 }, id), eviction({ by: 'terminatingAt', at: EVICTED + 400 }, id), eviction({ by: 'removed', window: { from: EVICTED - 5_000, to: EVICTED + 400, ops: ['DELETED'] } }, id)];
    for (const auditFirst of [false, true]) {
      const { a } = attributor();
      const merged = auditFirst ? [...a.attribute(all()), ...a.noteDurable(revs())] : [...a.noteDurable(revs()), ...a.attribute(all())];
      expect(merged.map((r) => [r.resourceVersion, r.op, r.ts]).sort()).toEqual([['2', 'MODIFIED', EVICTED + 400], ['3', 'MODIFIED', EVICTED + 400], ['4', 'DELETED', EVICTED + 400]]);
      expect(a.size.waiting).toBe(0);
    }
    // Held by a finalizer, the pod outlives the eviction: its removal is the finalizer's remover's.
    const held = attributor();
    const merged = [...held.a.noteDurable(revs(['batch.kubernetes.io/job-tracking'])), ...held.a.attribute(all())];
    expect(merged.map((r) => r.resourceVersion).sort()).toEqual(['2', '3']);
    // Another eviction's grace-0 revision does not hand this one the removal.
    const other = attributor();
    other.a.noteDurable(revs());
    other.a.attribute(all('ev-1').slice(0, 2));
    expect(other.a.attribute(all('ev-2').slice(2))).toEqual([]);
  });

  it('does not name a pod recreated under the evicted one\'s name and deleted at once by another client', () => {
    // A CI fidelity run: db-2 evicted (marked, terminating), removed by kwok, recreated under its
    // name and deleted by kwok with grace 0 — all before the eviction's audit batch arrived. The
    // new pod's grace-0 revision looked like the eviction's terminating one (same deletionTimestamp
    // second) but carries no DisruptionTarget mark.
    const EVICTED = T0 + 10 * S;
    const iso = (us: number) => new Date(us / 1000).toISOString().replace('.000', '');
    const marked = { status: { conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', lastTransitionTime: iso(EVICTED) }] } };
    const meta = (uid: string, grace: number) => ({ metadata: { name: 'db-2', namespace: 'shop', uid, deletionTimestamp: iso(EVICTED + grace * S), deletionGracePeriodSeconds: grace } });
    const named = (r: ChangeRecord) => ({ ...r, name: 'db-2' });
    const old = [watched('1', {}, 'uid-1'), watched('2', marked, 'uid-1'), watched('3', { ...marked, ...meta('uid-1', 30) }, 'uid-1'), watched('4', { ...marked, ...meta('uid-1', 0) }, 'uid-1'), { ...watched('5', {}, 'uid-1'), op: 'DELETED' as const }].map(named);
    const recreated = [watched('6', {}, 'uid-2'), watched('7', meta('uid-2', 0), 'uid-2'), { ...watched('8', meta('uid-2', 0), 'uid-2'), op: 'DELETED' as const }].map(named);
    const eviction = (['disruptedAt', 'terminatingAt'] as const).map((by) => ({ ...attribution({ by, at: EVICTED + 400_000 }, 'ev', ''), named: { gk: 'Pod', namespace: 'shop', name: 'db-2' }, verb: 'create' }));
    const { a } = attributor();
    a.noteDurable([...old, ...recreated]);
    expect(a.attribute(eviction).map((r) => [r.uid, r.resourceVersion]).sort()).toEqual([['uid-1', '2'], ['uid-1', '3']]);
  });

  it('names an eviction\'s revisions of a StatefulSet pod evicted before under the same name (its own revisions only, not the previous pod\'s)', () => {
    // Seen in a CI fidelity run: db-0 evicted, recreated (new uid, later resourceVersions), evicted
    // again; the second eviction's revisions followed the first pod's marked, terminating ones.
    const iso = (us: number) => new Date(us / 1000).toISOString().replace('.000', '');
    const revs = (uid: string, rv: number, at: number) => {
      const marked = { status: { conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', lastTransitionTime: iso(at) }] } };
      const terminating = { ...marked, metadata: { name: 'db-0', namespace: 'shop', uid, deletionTimestamp: iso(at + 30 * S), deletionGracePeriodSeconds: 30 } };
      return [watched(String(rv), {}, uid), watched(String(rv + 1), marked, uid), watched(String(rv + 2), terminating, uid)].map((r) => ({ ...r, name: 'db-0' }));
    };
    const evict = (at: number): Attribution[] => (['disruptedAt', 'terminatingAt'] as const)
      .map((by) => ({ ...attribution({ by, at: at + 400_000 }, `ev-${at}`, ''), named: { gk: 'Pod', namespace: 'shop', name: 'db-0' }, verb: 'create' }));
    const first = T0 + 10 * S;
    const second = T0 + 70 * S;
    const { a } = attributor();
    const merged = [...a.noteDurable(revs('uid-1', 10, first)), ...a.attribute(evict(first)), ...a.noteDurable(revs('uid-2', 20, second)), ...a.attribute(evict(second))];
    expect(merged.map((r) => [r.uid, r.resourceVersion]).sort()).toEqual([['uid-1', '11'], ['uid-1', '12'], ['uid-2', '21'], ['uid-2', '22']]);
    // The pod deleted at once and recreated under its name before the eviction's audit batch
    // arrived (kwok, a StatefulSet): the eviction still names the evicted pod's revisions.
    const late = attributor();
    const gone = { ...watched('13', {}, 'uid-1'), name: 'db-0', op: 'DELETED' as const };
    late.a.noteDurable([...revs('uid-1', 10, first), gone, ...revs('uid-2', 20, first + S).slice(0, 1)]);
    expect(late.a.attribute(evict(first)).map((r) => [r.uid, r.resourceVersion]).sort()).toEqual([['uid-1', '11'], ['uid-1', '12']]);
  });

  it('remembers nothing of Events, names a deletion only by time, and attributes an audited revision only by its resourceVersion', () => {
    const { a } = attributor();
    a.noteDurable([
      { ...watched('1'), op: 'ADDED' }, { ...watched('2', onNode('n1')), actor: { username: 'bob' } },
      { ...watched('3'), kind: 'Event', uid: 'e1' }, { ...watched('4'), op: 'DELETED' },
    ]);
    expect(a.size.seen).toBe(3);
    expect(a.attribute([attribution({ by: 'nodeName', nodeName: 'n1' })])).toEqual([]); // already audited: bob put it there
    expect(a.attribute([attribution({ by: 'rv', rv: '4' }, 'a2')])).toEqual([]); // a deletion is named only by a request by time
    // An audited request may have changed nothing and answered with revision 2: the store keeps the earlier.
    expect(a.attribute([attribution({ by: 'rv', rv: '2' }, 'a3')]).map((r) => [r.resourceVersion, r.auditID])).toEqual([['2', 'a3']]);
  });

  it('merges every Scale naming one resourceVersion (one changed nothing), whichever comes first', () => {
    const made = { ...attribution({ by: 'rv', rv: '7' }, 'made'), ts: T0 + 100 };
    const noop = { ...attribution({ by: 'rv', rv: '7' }, 'noop'), ts: T0 + 300, actor: { username: 'bob' } };
    for (const order of [[made, noop], [noop, made]]) {
      const before = attributor(); // both arrive before the watch's revision
      expect(before.a.attribute(order)).toEqual([]);
      expect(before.a.noteDurable([watched('7')]).map((r) => r.auditID)).toEqual(order.map((o) => o.auditID));
      expect(before.a.size.waiting).toBe(0);
      const after = attributor(); // the watch first, then each in its own batch
      after.a.noteDurable([watched('7')]);
      expect(order.flatMap((o) => after.a.attribute([o])).map((r) => r.auditID)).toEqual(order.map((o) => o.auditID));
    }
  });

  it('forgets revisions and drops waiting attributions after the ttl, and stays within its bounds', () => {
    const { a, outcomes, advance } = attributor({ ttl: 60 * S, maxSeen: 3 });
    a.attribute([attribution({ by: 'rv', rv: '99' })]);
    a.noteDurable([watched('1'), watched('2', {}, 'uid-2'), watched('3', {}, 'uid-3'), watched('4', {}, 'uid-4')]);
    expect(a.size.seen).toBe(3);
    expect(a.attribute([attribution({ by: 'rv', rv: '1' }, 'a2')])).toEqual([]); // evicted: the oldest object
    advance(61 * S);
    expect(a.attribute([attribution({ by: 'rv', rv: '4' }, 'a3', 'uid-4')])).toEqual([]);
    expect(outcomes).toContain('expired');
    advance(61 * S);
    a.noteDurable([]);
    expect(a.size).toEqual({ seen: 0, waiting: 0 });
  });

  it('expires exactly the attributions older than the ttl, oldest first, among thousands merged and waiting', () => {
    const { a, outcomes, advance } = attributor({ ttl: 60 * S });
    const uid = (i: number) => `u${i}`;
    // 3,000 objects wait for an attribution, 10 s apart in three waves; most get their revision.
    for (let wave = 0; wave < 3; wave++) {
      a.attribute(Array.from({ length: 1000 }, (_, i) => attribution({ by: 'rv', rv: '5' }, `w${wave}-${i}`, uid(wave * 1000 + i))));
      advance(10 * S);
    }
    const merged = a.noteDurable(Array.from({ length: 3000 }, (_, i) => i).filter((i) => i % 10 !== 0).map((i) => watched('5', {}, uid(i))));
    expect(merged).toHaveLength(2700);
    expect(a.size.waiting).toBe(300);
    // 45 s after the first wave's ttl ran out: the first two waves' leftovers expire, not the third's.
    advance(45 * S);
    a.noteDurable([]);
    expect(outcomes.filter((o) => o === 'expired')).toHaveLength(200);
    expect(a.size.waiting).toBe(100);
    expect(a.noteDurable([watched('5', {}, uid(2000))])).toHaveLength(1); // the third wave still attaches
    expect(a.noteDurable([watched('5', {}, uid(1000))])).toEqual([]);
    advance(20 * S);
    a.noteDurable([]);
    expect(a.size.waiting).toBe(0);
    expect(outcomes.filter((o) => o === 'expired')).toHaveLength(299);
  });

  it('drops the oldest waiting attribution when too many wait', () => {
    let now = T0;
    const outcomes: AttributionOutcome[] = [];
    const a = new Attributor({ now: () => now, onOutcome: (o) => outcomes.push(o), maxWaiting: 2 });
    a.attribute([attribution({ by: 'rv', rv: '7' }, 'old', 'uid-b')]);
    now += S;
    a.attribute([attribution({ by: 'rv', rv: '7' }, 'mid', 'uid-a'), attribution({ by: 'rv', rv: '8' }, 'new', 'uid-b')]);
    expect(outcomes).toEqual(['overflow']);
    expect(a.noteDurable([watched('7', {}, 'uid-b')])).toEqual([]); // 'old' was the one dropped
    expect(a.noteDurable([watched('8', {}, 'uid-b'), watched('7', {}, 'uid-a')]).map((r) => r.auditID)).toEqual(['new', 'mid']);
  });

  describe('a request without response body (Metadata level), by name and time', () => {
    const MS = 1000;
    /** What the watch saw of orders-1 at `at` (its time is when kubetime saw it). */
    const seenAt = (rv: string, at: number, op: ChangeRecord['op'] = 'MODIFIED', extra: Partial<ChangeRecord> = {}): ChangeRecord =>
      ({ ...watched(rv), ts: at, observedAt: at, op, ...extra });
    const byTime = (from: number, to: number, auditID = 'm1', ops: ChangeRecord['op'][] = ['MODIFIED', 'DELETED']): Attribution => ({
      cluster: 'c1', uid: '', named: { gk: 'Pod', namespace: 'shop', name: 'orders-1' }, match: { by: 'within', window: { from, to, ops } },
      ts: to, verb: 'patch', actor: { username: 'carol' }, auditID,
    });
    const R = T0 + 5 * S; // the request's receipt

    it('names the one revision the watch saw between its receipt and its response (plus the watch lag), whichever comes first', () => {
      const { a } = attributor();
      a.noteDurable([seenAt('1', T0, 'ADDED'), seenAt('2', R + 20 * MS)]);
      expect(a.attribute([byTime(R, R + 10 * MS)]).map((r) => [r.resourceVersion, r.ts, r.actor?.username, r.source])).toEqual([['2', R + 10 * MS, 'carol', 'audit']]);
      const first = attributor();
      first.a.noteDurable([seenAt('1', T0, 'ADDED')]);
      expect(first.a.attribute([byTime(R, R + 10 * MS)])).toEqual([]);
      expect(first.a.noteDurable([seenAt('2', R + 10 * MS + WATCH_LAG)]).map((r) => r.resourceVersion)).toEqual(['2']);
    });

    it('names a deletion, and a creation only with ADDED', () => {
      const { a } = attributor();
      a.noteDurable([seenAt('1', T0, 'ADDED'), seenAt('2', R + 5 * MS, 'DELETED')]);
      expect(a.attribute([byTime(R, R + 10 * MS, 'd1', ['DELETED', 'MODIFIED'])]).map((r) => [r.op, r.actor?.username])).toEqual([['DELETED', 'carol']]);
      const created = attributor();
      created.a.noteDurable([seenAt('1', R + 5 * MS, 'ADDED')]);
      expect(created.a.attribute([byTime(R, R + 10 * MS, 'c0', ['MODIFIED'])])).toEqual([]);
      expect(created.a.attribute([byTime(R, R + 10 * MS, 'c1', ['ADDED'])]).map((r) => r.op)).toEqual(['ADDED']);
    });

    it('names nothing that time cannot tell apart', () => {
      // Two revisions within one request's window and no other request: one may be a change nobody audited.
      const two = attributor();
      two.a.noteDurable([seenAt('2', R + 2 * MS), seenAt('3', R + 4 * MS)]);
      expect(two.a.attribute([byTime(R, R + 10 * MS)])).toEqual([]);
      // Seen before the request arrived, later than the lag after its response, or found by a relist.
      const outside = attributor();
      outside.a.noteDurable([seenAt('2', R - 1), seenAt('3', R + 10 * MS + WATCH_LAG + 1), seenAt('4', R + 5 * MS, 'MODIFIED', { gap: true })]);
      expect(outside.a.attribute([byTime(R, R + 10 * MS)])).toEqual([]);
      // Two requests received at the same moment, one revision.
      const tie = attributor();
      tie.a.noteDurable([seenAt('2', R + 5 * MS)]);
      expect(tie.a.attribute([byTime(R, R + 10 * MS, 'x'), byTime(R, R + 12 * MS, 'y')])).toEqual([]);
    });

    it('gives a revision two requests could have made to the one received last before the watch saw it', () => {
      // x changed nothing (a no-op patch); y, received after x answered, made revision 2.
      const who = (rs: ChangeRecord[]) => rs.map((r) => [r.resourceVersion, r.auditID]);
      const known = attributor();
      known.a.noteDurable([seenAt('2', R + 30 * MS)]);
      expect(who(known.a.attribute([byTime(R, R + 10 * MS, 'x'), byTime(R + 20 * MS, R + 25 * MS, 'y')]))).toEqual([['2', 'y']]);
      const waiting = attributor();
      expect(waiting.a.attribute([byTime(R, R + 10 * MS, 'x'), byTime(R + 20 * MS, R + 25 * MS, 'y')])).toEqual([]);
      expect(who(waiting.a.noteDurable([seenAt('2', R + 30 * MS)]))).toEqual([['2', 'y']]);
      // Two edits 450 ms apart, each seen within the lag of the first: each gets its own, in one
      // batch or in two (the first waits while the second's revision is unexplained).
      const edits = () => [seenAt('2', R + 15 * MS), seenAt('3', R + 465 * MS)];
      const a = byTime(R, R + 10 * MS, 'a');
      const b = byTime(R + 450 * MS, R + 460 * MS, 'b');
      const oneBatch = attributor();
      oneBatch.a.noteDurable(edits());
      expect(who(oneBatch.a.attribute([a, b]))).toEqual([['2', 'a'], ['3', 'b']]);
      const twoBatches = attributor();
      twoBatches.a.noteDurable(edits());
      const waited: Attribution[] = [];
      expect(twoBatches.a.attribute([a], waited)).toEqual([]);
      expect(waited).toEqual([a]);
      expect(who(twoBatches.a.attribute([b]))).toEqual([['2', 'a'], ['3', 'b']]);
      expect(twoBatches.a.size.waiting).toBe(0);
    });

    it('gives two revisions a resumed watch brought at one moment to two requests that did not overlap, in their order', () => {
      // A CI fidelity run: two edits of a Secret (Metadata level) 0.9 s apart while kubetime
      // restarted; the resumed watch brought both at once, 0.7 s after the second edit. Other
      // objects' audited revisions tell when they were committed (the revision clock), here only
      // that both were committed between 19's answer and 31's: each could be either request's.
      const who = (rs: ChangeRecord[]) => rs.map((r) => [r.resourceVersion, r.auditID]);
      const first = byTime(R, R + 7 * MS, 'first');
      const second = byTime(R + 900 * MS, R + 904 * MS, 'second');
      const other = (rv: string, at: number): ChangeRecord => ({ ...rec({ rv, uid: 'other', ts: at, source: 'audit' }), name: 'other' });
      const clocked = () => {
        const t = attributor();
        t.a.noteClock([other('19', R - 10 * MS), other('31', R + 1_000 * MS)]);
        return t;
      };
      const resumed = (...extra: ChangeRecord[]) => [seenAt('20', R + 1_630 * MS), seenAt('30', R + 1_630 * MS), ...extra];
      for (const auditFirst of [false, true]) {
        const { a } = clocked();
        const merged = auditFirst ? [...a.attribute([first, second]), ...a.noteDurable(resumed())] : [...a.noteDurable(resumed()), ...a.attribute([first, second])];
        expect(who(merged).sort()).toEqual([['20', 'first'], ['30', 'second']]);
        expect(a.size.waiting).toBe(0);
      }
      // A request whose revision no one saw (hidden by a relist after 410 Gone, as for a Gizmo in a
      // CI fidelity run) does not stand in the way.
      const hidden = clocked();
      hidden.a.noteDurable(resumed());
      expect(who(hidden.a.attribute([byTime(R - 20 * S, R - 20 * S + 9 * MS, 'hidden'), first, second])).sort()).toEqual([['20', 'first'], ['30', 'second']]);
      expect(hidden.a.size.waiting).toBe(1);
      // One revision too many (a change nobody audited may be among them), or requests that
      // overlapped (either may have committed first): nothing.
      const extra = clocked();
      extra.a.noteDurable(resumed(seenAt('32', R + 1_630 * MS)));
      expect(extra.a.attribute([first, second])).toEqual([]);
      const overlapping = clocked();
      overlapping.a.noteDurable(resumed());
      expect(overlapping.a.attribute([byTime(R, R + 950 * MS, 'first'), second])).toEqual([]);
      // A revision the clock shows committed before a request was received is never that request's.
      const before = attributor();
      before.a.noteClock([other('19', R - 10 * MS), other('21', R + 300 * MS), other('31', R + 1_000 * MS)]);
      before.a.attribute([first, second]);
      expect(who(before.a.noteDurable([seenAt('20', R + 1_630 * MS)]))).toEqual([['20', 'first']]);
    });
  });
});

describe('AttributingWriter', () => {
  function recording(): ChangeWriter & { batches: ChangeRecord[][] } {
    const batches: ChangeRecord[][] = [];
    return { batches, write: async (records) => void batches.push([...records]) };
  }

  it('writes attribution records after the revisions they name are durable', async () => {
    const inner = recording();
    const w = new AttributingWriter({ inner, attributor: new Attributor({ now: () => T0 }), onError: (e) => { throw e; } });
    await w.writeAudited([], [attribution({ by: 'rv', rv: '2' })]); // first: it waits
    expect(inner.batches).toEqual([]);
    await w.write([watched('2')]);
    await w.settled();
    expect(inner.batches.map((b) => b.map((r) => [r.resourceVersion, r.source]))).toEqual([[['2', 'watch']], [['2', 'audit']]]);
    await w.write([watched('3')]);
    const full = rec({ rv: '9', uid: 'uid-9', source: 'audit' });
    await w.writeAudited([full], [attribution({ by: 'rv', rv: '3' }, 'a2')]);
    expect(inner.batches[3]!.map((r) => [r.uid, r.resourceVersion, r.source])).toEqual([['uid-9', '9', 'audit'], ['uid-1', '3', 'audit']]);
  });

  it('leaves the stored revision its object and gives it the audit time and actor (embedded store)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubetime-attr-'));
    const store = LmdbHistoryStore.open({ path: dir });
    try {
      const w = new AttributingWriter({ inner: { write: async (r) => void (await store.append(r)) }, attributor: new Attributor({ now: () => T0 }), onError: (e) => { throw e; } });
      await w.write([{ ...watched('1', unscheduled), op: 'ADDED' }, watched('2', onNode('n1'))]);
      await w.writeAudited([], [{ ...attribution({ by: 'nodeName', nodeName: 'n1' }), ts: T0 + 1.5 * S, verb: 'create', actor: { username: 'system:kube-scheduler' } }]);
      const revs = [];
      for await (const r of store.revisions({ key: { cluster: 'c1', gk: 'Pod', namespace: 'shop', name: 'orders-1' }, order: 'asc' })) revs.push(r);
      expect(revs.map((r) => [r.resourceVersion, r.ts, r.source, r.actor?.username])).toEqual([
        ['1', T0 + S, 'watch', undefined],
        ['2', T0 + 1.5 * S, 'watch+audit', 'system:kube-scheduler'],
      ]);
      expect(revs[1]!.object).toEqual(pod('orders-1', 'uid-1', '2', onNode('n1')));
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
