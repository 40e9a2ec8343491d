/**
 * Summary lists as of T on Cassandra (core/ports.ts HistoryStore.summaryStatesAt): for each key,
 * the slim object (revisions.slim, schema/002_summary_slim.cql) of the revision `revisionAt` picks,
 * read without `body` and `revision_bases`, for many names per request.
 *
 * The same rows as RevisionReader.inForceRow, read differently. A list's keys share cluster, kind,
 * T and mostly namespace, so T's bucket is the same partition key but for the name: one request
 * (`name IN ?`, at most SUMMARY_IN_MAX names) reads the newest `window + 1` revisions <= T of each
 * (PER PARTITION LIMIT). A name with fewer than `window` there reads on into older buckets, again
 * for many names at once: the newest older bucket of each from `revision_buckets`, then its rows,
 * until the window is full or no bucket is left. The one row past the window says whether a run of
 * equal ts (put in compareRevisions order, not clustering order) might go on beyond what was read:
 * then that name is read as revisionAt reads it (rare: equal ts are a merge's or a relist's).
 */
import type { KubeObject, ObjectKey, Op } from '../../core/record.ts';
import type { Micros } from '../../core/time.ts';
import { num0, type CassandraDb, type Row } from './client.ts';
import { CQL, SUMMARY_IN_MAX } from './cql.ts';
import type { Buckets } from './layout.ts';
import { inForce, sortTie, type RevisionReader } from './revision-reader.ts';
import { rvidOf, slimOfCell } from './rows.ts';

type State = KubeObject | null | 'full';

/** A revision as the summary path reads it. */
interface Head {
  record: { ts: Micros; uid: string; resourceVersion: string; op: Op };
  slim: Buffer | null;
}

/** The names of one (cluster, kind, namespace) being read, with the rows read so far. */
interface Pending {
  name: string;
  rows: Head[];
  /** Older buckets than this one are still to be looked at. */
  before: Micros;
}

export class SummaryReader {
  readonly #db: CassandraDb;
  readonly #buckets: Buckets;
  readonly #reader: RevisionReader;

  constructor(db: CassandraDb, buckets: Buckets, reader: RevisionReader) {
    this.#db = db;
    this.#buckets = buckets;
    this.#reader = reader;
  }

  async statesAt(keys: readonly ObjectKey[], at: Micros, window: number): Promise<State[]> {
    const out: State[] = keys.map(() => null);
    if (window < 1 || keys.length === 0) return out;
    const groups = new Map<string, number[]>();
    for (const [i, k] of keys.entries()) {
      const g = `${k.cluster}\u0000${k.gk}\u0000${k.namespace}`;
      const list = groups.get(g);
      if (list) list.push(i);
      else groups.set(g, [i]);
    }
    const chunks: number[][] = [];
    for (const idx of groups.values()) for (let i = 0; i < idx.length; i += SUMMARY_IN_MAX) chunks.push(idx.slice(i, i + SUMMARY_IN_MAX));
    await Promise.all(chunks.map(async (idx) => {
      const states = await this.#chunk(keys[idx[0]!]!, idx.map((i) => keys[i]!.name), at, window);
      idx.forEach((i, j) => (out[i] = states[j]!));
    }));
    return out;
  }

  /** The states of `names` (distinct or not) of `like`'s cluster, kind and namespace. */
  async #chunk(like: ObjectKey, names: string[], at: Micros, window: number): Promise<State[]> {
    const done = new Map<string, Head[] | 'exact'>();
    const bucket = this.#buckets.revision(at);
    const distinct = [...new Set(names)];
    const first = await this.#rowsIn(like, distinct, bucket, at, window);
    let pending: Pending[] = [];
    for (const name of distinct) this.#settle({ name, rows: [], before: bucket }, first.get(name) ?? [], window, done, pending);
    while (pending.length) {
      const older = await this.#olderBuckets(like, pending);
      const next: Pending[] = [];
      const byBucket = new Map<Micros, Pending[]>();
      for (const p of pending) {
        const b = older.get(p.name);
        if (b === undefined) done.set(p.name, p.rows); // no older bucket: the window is what there is
        else byBucket.set(b, [...(byBucket.get(b) ?? []), { ...p, before: b }]);
      }
      await Promise.all([...byBucket].map(async ([b, ps]) => {
        const rows = await this.#rowsIn(like, ps.map((p) => p.name), b, at, window);
        for (const p of ps) this.#settle(p, rows.get(p.name) ?? [], window, done, next);
      }));
      pending = next;
    }
    return Promise.all(names.map((name) => this.#stateOf(like, name, at, window, done.get(name)!)));
  }

  /**
   * Adds the rows read from `p.before`'s bucket (newest first, at most window + 1). Settled when
   * the window is full and its last run of equal ts provably ends inside what was read; 'exact'
   * when it might not; else older buckets are read next.
   */
  #settle(p: Pending, read: Head[], window: number, done: Map<string, Head[] | 'exact'>, pending: Pending[]): void {
    const rows = [...p.rows, ...sortTies(read)];
    if (rows.length < window) {
      pending.push({ ...p, rows });
      return;
    }
    const tieAtEdge = rows.length > window && rows[window - 1]!.record.ts === rows[window]!.record.ts;
    done.set(p.name, tieAtEdge ? 'exact' : rows.slice(0, window));
  }

  async #stateOf(like: ObjectKey, name: string, at: Micros, window: number, rows: Head[] | 'exact'): Promise<State> {
    if (rows === 'exact') return this.#exact({ ...like, name }, at, window);
    const best = inForce(rows);
    if (!best || best.record.op === 'DELETED') return null;
    return best.slim === null ? 'full' : slimOfCell(best.slim);
  }

  /** One name read the way revisionAt reads it, then its slim object by the revision's key. */
  async #exact(key: ObjectKey, at: Micros, window: number): Promise<State> {
    const row = await this.#reader.inForceRow(key, at, window);
    if (!row || row.record.op === 'DELETED') return null;
    const rs = await this.#db.execute(CQL.selectRevisionSlim, [key.cluster, key.gk, key.namespace, key.name, row.bucket, row.record.ts, row.record.uid, rvidOf(row.record)], 'read revision slim');
    const slim = (rs.rows[0]?.get('slim') as Buffer | null | undefined) ?? null;
    return slim === null ? 'full' : slimOfCell(slim);
  }

  /** The newest `window + 1` revisions <= `at` of each name in one bucket, in clustering order. */
  async #rowsIn(like: ObjectKey, names: string[], bucket: Micros, at: Micros, window: number): Promise<Map<string, Head[]>> {
    const out = new Map<string, Head[]>();
    const params = [like.cluster, like.gk, like.namespace, names, bucket, at, window + 1];
    for await (const row of this.#db.rows(CQL.selectSummaryRows, params, 'read summary rows', names.length * (window + 1))) {
      const name = row.get('name') as string;
      const list = out.get(name);
      if (list) list.push(headOf(row));
      else out.set(name, [headOf(row)]);
    }
    return out;
  }

  /** The newest bucket before `p.before` of each pending name, where one exists. */
  async #olderBuckets(like: ObjectKey, pending: Pending[]): Promise<Map<string, Micros>> {
    const out = new Map<string, Micros>();
    const byBefore = new Map<Micros, string[]>();
    for (const p of pending) byBefore.set(p.before, [...(byBefore.get(p.before) ?? []), p.name]);
    await Promise.all([...byBefore].map(async ([before, names]) => {
      const params = [like.cluster, like.gk, like.namespace, names, before];
      for await (const row of this.#db.rows(CQL.selectOlderBuckets, params, 'read revision buckets', names.length)) {
        out.set(row.get('name') as string, num0(row.get('bucket')));
      }
    }));
    return out;
  }
}

function headOf(row: Row): Head {
  return {
    record: { ts: num0(row.get('ts')), uid: row.get('uid') as string, resourceVersion: row.get('rv') as string, op: row.get('op') as Op },
    slim: (row.get('slim') as Buffer | null) ?? null,
  };
}

/** Rows of one bucket in clustering order (ts desc, then uid, rvid), each run of equal ts put newest first by compareRevisions. */
function sortTies(rows: Head[]): Head[] {
  const out: Head[] = [];
  let tie: Head[] = [];
  for (const r of rows) {
    if (tie.length && tie[0]!.record.ts !== r.record.ts) {
      out.push(...sortTie(tie, -1));
      tie = [];
    }
    tie.push(r);
  }
  out.push(...sortTie(tie, -1));
  return out;
}
