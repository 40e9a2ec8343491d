/**
 * A seeded, realistic-but-nasty change workload for comparing stores: several kinds (namespaced,
 * cluster-scoped, churny Events), names re-used by new uids, audit copies of watch revisions
 * with earlier timestamps (merges that move a revision), deletes answered without an object,
 * objects large enough to be delta-encoded, deliveries shuffled and repeated.
 */
import type { ChangeRecord, KubeObject } from '../../core/record.ts';
import { prng } from '../../simulator/prng.ts';

export { prng };


export const W_T0 = Date.UTC(2026, 0, 10, 10, 0, 0) * 1000;
const SEC = 1_000_000;

interface KindSpec { group: string; kind: string; resource: string; apiVersion: string; namespaces: string[] }

const KINDS: KindSpec[] = [
  { group: '', kind: 'Pod', resource: 'pods', apiVersion: 'v1', namespaces: ['shop', 'web'] },
  { group: 'apps', kind: 'Deployment', resource: 'deployments', apiVersion: 'apps/v1', namespaces: ['shop'] },
  { group: '', kind: 'Node', resource: 'nodes', apiVersion: 'v1', namespaces: [''] },
  { group: '', kind: 'Event', resource: 'events', apiVersion: 'v1', namespaces: ['shop'] },
];

export interface Workload {
  /** Every record in delivery order (shuffled, some twice). */
  deliveries: ChangeRecord[];
  /** The time span covered. */
  from: number;
  to: number;
}

function objectOf(k: KindSpec, ns: string, name: string, uid: string, rv: string, gen: number, big: boolean): KubeObject {
  return {
    apiVersion: k.apiVersion, kind: k.kind,
    metadata: { name, ...(ns ? { namespace: ns } : {}), uid, resourceVersion: rv, labels: { app: name.split('-')[0]!, gen: String(gen % 3) } },
    spec: { replicas: gen % 4, ...(big ? { blob: `${'z'.repeat(1500)}-${gen % 2}` } : {}) },
    status: { observed: gen, phase: gen % 5 === 0 ? 'Pending' : 'Running' },
  };
}

/** Generates `names` object names per kind and namespace over `seconds`. */
export function generateWorkload(seed: number, opts: { names?: number; seconds?: number } = {}): Workload {
  const rnd = prng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const seconds = opts.seconds ?? 7200;
  let rv = 1000;
  const records: ChangeRecord[] = [];
  for (const k of KINDS) {
    for (const ns of k.namespaces) {
      for (let n = 0; n < (opts.names ?? 4); n++) {
        const name = `${k.kind.toLowerCase()}-${n}`;
        let t = W_T0 + Math.floor(rnd() * seconds * 0.3) * SEC;
        for (let life = 0; life < 1 + Math.floor(rnd() * 3) && t < W_T0 + seconds * SEC; life++) {
          const uid = `${ns || '_'}-${name}-u${life}-${seed}`;
          const big = rnd() < 0.5;
          const changes = 1 + Math.floor(rnd() * 8);
          for (let c = 0; c <= changes; c++) {
            const last = c === changes;
            const deleted = last && rnd() < 0.7;
            if (last && !deleted) break;
            const op = c === 0 ? 'ADDED' : deleted ? 'DELETED' : 'MODIFIED';
            const rvs = String(++rv);
            const base: ChangeRecord = {
              cluster: 'c1', apiVersion: k.apiVersion, group: k.group, kind: k.kind, resource: k.resource, namespace: ns, name, uid,
              resourceVersion: rvs, op, ts: t, observedAt: t, source: 'watch', object: objectOf(k, ns, name, uid, rvs, c, big),
            };
            if (deleted && rnd() < 0.4) {
              // kubectl delete answered with a Status: no object, no new resourceVersion.
              records.push({ ...base, resourceVersion: '', object: null, source: 'audit', actor: { username: 'ops' }, verb: 'delete', auditID: `a${rv}` });
            } else {
              records.push(base);
              if (rnd() < 0.35) {
                const earlier = t - Math.floor(rnd() * 3 * SEC) - 1;
                records.push({ ...base, ts: earlier, observedAt: t + SEC, source: 'audit', actor: { username: pick(['alice', 'bob']) }, verb: op === 'ADDED' ? 'create' : 'patch', auditID: `a${rv}` });
              }
            }
            t += Math.floor((5 + rnd() * 900) * SEC);
          }
          t += Math.floor(rnd() * 600 * SEC);
        }
      }
    }
  }
  const deliveries = [...records, ...records.filter(() => rnd() < 0.1)];
  for (let i = deliveries.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [deliveries[i], deliveries[j]] = [deliveries[j]!, deliveries[i]!];
  }
  const ts = records.map((r) => r.ts);
  return { deliveries, from: Math.min(...ts), to: Math.max(...ts) };
}

/** Splits deliveries into batches of 1..max records. */
export function batches<T>(items: T[], max: number, rnd: () => number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length;) {
    const n = 1 + Math.floor(rnd() * max);
    out.push(items.slice(i, i + n));
    i += n;
  }
  return out;
}
