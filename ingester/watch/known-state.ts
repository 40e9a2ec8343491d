/**
 * Rebuilding a source's tracked state (uid → resourceVersion, namespace, name) from the store:
 * what kubetime last recorded for every object it believes alive. Used at start, and after a
 * failed write left the in-memory state in doubt.
 */
import type { HistoryStore } from '../../core/ports.ts';
import type { Micros } from '../../core/time.ts';
import type { TrackedMap } from '../records.ts';

export interface LoadKnownOptions {
  store: Pick<HistoryStore, 'lifetimes' | 'revisions'>;
  cluster: string;
  gk: string;
  /** Only this namespace (a namespace-scoped source). */
  namespace?: string;
  inScope?: (namespace: string) => boolean;
  now: Micros;
  intern?: (s: string) => string;
  /** Parallel revision lookups. Default 16. */
  concurrency?: number;
}

// Revisions are ordered by time; an audit record's apiserver clock may run a little ahead of
// ours, so "alive now" is asked with a margin and narrowed to lifetimes without an end.
const ALIVE_MARGIN_MICROS = 3600e6;

/** Loads the tracked state of one source from the store. */
export async function loadKnown(opts: LoadKnownOptions): Promise<TrackedMap> {
  const inScope = opts.inScope ?? (() => true);
  const intern = opts.intern ?? ((s: string) => s);
  const alive: { uid: string; key: { cluster: string; gk: string; namespace: string; name: string } }[] = [];
  const q = { cluster: opts.cluster, gk: opts.gk, aliveAt: opts.now + ALIVE_MARGIN_MICROS, ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}) };
  for await (const lt of opts.store.lifetimes(q)) {
    if (lt.to !== null || !inScope(lt.key.namespace)) continue;
    alive.push({ uid: lt.uid, key: lt.key });
  }
  const known: TrackedMap = new Map();
  let next = 0;
  const worker = async () => {
    while (next < alive.length) {
      const { uid, key } = alive[next++]!;
      for await (const rev of opts.store.revisions({ key, order: 'desc', objects: false })) {
        if (rev.uid !== uid) continue;
        if (rev.op !== 'DELETED' && rev.resourceVersion) known.set(uid, { rv: rev.resourceVersion, namespace: intern(key.namespace), name: key.name });
        break;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 16, alive.length) }, worker));
  return known;
}
