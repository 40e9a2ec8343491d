/**
 * Snapshots: the full state of one cluster at one time S (every object alive at S, as its latest
 * revision <= S), written by the compactor so that as-of queries can start from S and replay only
 * the changes after it ("bounded replay"), and so a store can be rebuilt (`kubetime restore`).
 *
 * Layout inside a SnapshotStore (keys are `/`-separated; the cluster is escaped by `keySegment`):
 *
 *   parts/<cluster>/<id>/part-00000.ndjson.gz   records ordered by (gk, namespace, name), gzip
 *   manifests/<cluster>/<id>.json               written LAST: a snapshot exists iff this exists
 *   retention/<cluster>.json                    horizons of the last retention run (RetentionState)
 *
 * `<id>` starts with S as `yyyymmddThhmmss.ffffffZ`, so ids sort by snapshot time. Each part
 * line is `{"k":[gk,namespace,name],"r":<ChangeRecord>}`; the leading key lets a reader skip
 * lines outside its filter without parsing them.
 */
import { z } from 'zod';
import { KubetimeError } from './errors.ts';
import type { HistoryStore, Revision } from './ports.ts';
import { formatTime } from './time.ts';
import type { Micros } from './time.ts';

export const SNAPSHOT_FORMAT = 'kubetime.snapshot/v1';

/** (gk, namespace, name): the order of records in a snapshot, compared as plain strings. */
export type SnapshotKey = [gk: string, namespace: string, name: string];

const keySchema = z.tuple([z.string(), z.string(), z.string()]);
const micros = z.number().int();

/** One compressed NDJSON file of a snapshot. */
export const snapshotPartSchema = z.object({
  /** Blob key inside the SnapshotStore. */
  key: z.string().min(1),
  records: z.number().int().nonnegative(),
  /** Size of the stored (compressed) file. */
  bytes: z.number().int().nonnegative(),
  /** Approximate size of the NDJSON before compression (string length). */
  rawBytes: z.number().int().nonnegative(),
  /** SHA-256 of the stored bytes, lowercase hex. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  first: keySchema,
  last: keySchema,
  /** Records per gk in this part, so a reader can skip parts without the kind it wants. */
  kinds: z.record(z.string(), z.number().int().nonnegative()),
});
export type SnapshotPart = z.infer<typeof snapshotPartSchema>;

/** The manifest: written after every part is stored, so its presence means "complete". */
export const snapshotManifestSchema = z.object({
  format: z.literal(SNAPSHOT_FORMAT),
  id: z.string().min(1),
  cluster: z.string().min(1),
  /** S: the snapshot holds the state at this time (every change with ts <= at). */
  at: micros,
  /** Wall-clock time the compactor started reading the store. */
  takenAt: micros,
  /**
   * The store position covered: every change with ts <= changesThrough that the store had
   * received by receivedBy. A change with ts <= S that arrives later is not in this snapshot.
   */
  covers: z.object({ changesThrough: micros, receivedBy: micros }),
  counts: z.object({
    objects: z.number().int().nonnegative(),
    bytes: z.number().int().nonnegative(),
    rawBytes: z.number().int().nonnegative(),
    byKind: z.record(z.string(), z.number().int().nonnegative()),
  }),
  parts: z.array(snapshotPartSchema),
});
export type SnapshotManifest = z.infer<typeof snapshotManifestSchema>;

/** A stored blob, as listed. */
export interface BlobInfo {
  key: string;
  bytes: number;
  /** Last modification time of the blob, in µs. */
  modified: Micros;
}

/**
 * Where snapshots live: a flat namespace of immutable blobs (a folder, an S3 bucket prefix).
 * Contract (test/contract/snapshot-store.contract.ts runs it against every adapter):
 * - `put` is atomic per key: until it resolves, readers see the old blob or none — never a
 *   partial one (folder: temp file + rename; S3: PutObject / CompleteMultipartUpload). A failed
 *   `put` leaves nothing visible under `key`. Putting an existing key replaces it.
 * - `get` streams the bytes; a missing key rejects with KubetimeError NOT_FOUND.
 * - `list` yields every complete blob whose key starts with `prefix`, in key order.
 * - `delete` ignores keys that do not exist.
 * - `removeIncomplete` discards leftovers of interrupted writes (temp files, abandoned
 *   multipart uploads) last touched before `olderThan`; it returns how many it removed.
 * - Keys are `/`-separated segments of `[A-Za-z0-9._%-]`, never `.` or `..`.
 * - Failures of the backing system reject with KubetimeError STORE_UNAVAILABLE.
 */
export interface SnapshotStore {
  /** Where the blobs live, for logs and reports (`file:///…`, `s3://bucket/prefix`). */
  readonly location: string;
  put(key: string, body: AsyncIterable<Uint8Array>): Promise<{ bytes: number }>;
  get(key: string): AsyncIterable<Uint8Array>;
  list(prefix: string): AsyncIterable<BlobInfo>;
  delete(keys: readonly string[]): Promise<void>;
  removeIncomplete(olderThan: Micros): Promise<number>;
  close(): Promise<void>;
}

/** Which part of a snapshot a reader wants; absent fields match everything. */
export interface SnapshotFilter {
  gk?: string;
  /** "" = cluster-scoped objects only. */
  namespace?: string;
}

/**
 * What the query layer needs for bounded replay and retention checks (implemented by
 * compactor/catalog.ts over a SnapshotStore; injected by cli/).
 */
export interface SnapshotIndex {
  /** The newest complete snapshot of `cluster` with at <= t. */
  newestAtOrBefore(cluster: string, t: Micros): Promise<SnapshotManifest | undefined>;
  /** The snapshot's records matching `filter`, in (gk, namespace, name) order. */
  readObjects(manifest: SnapshotManifest, filter?: SnapshotFilter): AsyncIterable<Revision>;
  /** The horizons recorded by the last retention run, if any. */
  retention(cluster: string): Promise<RetentionState | undefined>;
}

// ---- key layout -----------------------------------------------------------------------------

/** Escapes any string into one key segment (`[A-Za-z0-9._-]` kept, other UTF-8 bytes as %XX). */
export function keySegment(text: string): string {
  let out = '';
  for (const b of new TextEncoder().encode(text)) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9._-]/.test(c) ? c : '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out === '' ? '%' : out === '.' || out === '..' ? out.replace(/\./g, '%2E') : out;
}

/** The inverse of keySegment. */
export function unKeySegment(segment: string): string {
  return segment === '%' ? '' : decodeURIComponent(segment);
}

const VALID_KEY = /^[A-Za-z0-9._%-]+(?:\/[A-Za-z0-9._%-]+)*$/;

/** Throws INVALID_ARGUMENT unless `key` is a valid SnapshotStore key (see SnapshotStore). */
export function assertValidKey(key: string): void {
  if (!VALID_KEY.test(key) || key.split('/').some((s) => s === '.' || s === '..')) {
    throw new KubetimeError('INVALID_ARGUMENT', `snapshot store key "${key}" is not valid`, { key });
  }
}

/** A snapshot id: S as `yyyymmddThhmmss.ffffffZ`, then a nonce so concurrent runs never collide. */
export function snapshotId(at: Micros, nonce: string): string {
  const iso = formatTime(at - (at % 1_000_000)); // whole seconds
  const frac = String(((at % 1_000_000) + 1_000_000) % 1_000_000).padStart(6, '0');
  return `${iso.slice(0, 19).replace(/[-:]/g, '')}.${frac}Z-${nonce}`;
}

export const snapshotKeys = {
  manifestPrefix: (cluster?: string): string => (cluster === undefined ? 'manifests/' : `manifests/${keySegment(cluster)}/`),
  manifest: (cluster: string, id: string): string => `manifests/${keySegment(cluster)}/${id}.json`,
  partsPrefix: (cluster?: string, id?: string): string =>
    cluster === undefined ? 'parts/' : id === undefined ? `parts/${keySegment(cluster)}/` : `parts/${keySegment(cluster)}/${id}/`,
  part: (cluster: string, id: string, n: number): string => `parts/${keySegment(cluster)}/${id}/part-${String(n).padStart(5, '0')}.ndjson.gz`,
  retention: (cluster: string): string => `retention/${keySegment(cluster)}.json`,
};

/** Parses `manifests/<cluster>/<id>.json` or `parts/<cluster>/<id>/…` into (cluster, id). */
export function parseSnapshotKey(key: string): { cluster: string; id: string } | undefined {
  const m = /^(?:manifests\/([^/]+)\/([^/]+)\.json|parts\/([^/]+)\/([^/]+)\/[^/]+)$/.exec(key);
  if (!m) return undefined;
  return { cluster: unKeySegment(m[1] ?? m[3]!), id: m[2] ?? m[4]! };
}

// ---- ordering and filters -------------------------------------------------------------------

export function compareKeys(a: SnapshotKey, b: SnapshotKey): number {
  for (let i = 0; i < 3; i++) {
    if (a[i]! !== b[i]!) return a[i]! < b[i]! ? -1 : 1;
  }
  return 0;
}

/** Does the snapshot record with this key match the filter? */
export function keyMatches(key: SnapshotKey, filter: SnapshotFilter): boolean {
  return (filter.gk === undefined || key[0] === filter.gk) && (filter.namespace === undefined || key[1] === filter.namespace);
}

/** Can `part` hold records matching `filter`? (Conservative: true when unsure.) */
export function partMayMatch(part: SnapshotPart, filter: SnapshotFilter): boolean {
  const gks = filter.gk === undefined ? Object.keys(part.kinds) : part.kinds[filter.gk] ? [filter.gk] : [];
  if (filter.namespace === undefined) return gks.length > 0;
  const ns = filter.namespace;
  // Records with (gk, ns) lie in [(gk, ns, ""), (gk, ns, +inf)); the part covers [first, last].
  return gks.some((gk) => compareKeys([gk, ns, ''], part.last) <= 0 && (part.first[0] !== gk || part.first[1] <= ns));
}

// ---- retention horizons ---------------------------------------------------------------------

/** The oldest answerable time of one scope after retention (history before it was pruned). */
export interface RetentionHorizon {
  gk: string;
  /** Absent = every namespace of `gk`. */
  namespace?: string;
  /** State at every time >= horizon is answerable; earlier history is gone. */
  horizon: Micros;
  /** The snapshot taken at `horizon` (retention only ever prunes up to a snapshot). */
  snapshotId: string;
}

export const retentionStateSchema = z.object({
  cluster: z.string(),
  appliedAt: micros,
  horizons: z.array(
    z.object({ gk: z.string(), namespace: z.string().optional(), horizon: micros, snapshotId: z.string() }),
  ),
});
export type RetentionState = z.infer<typeof retentionStateSchema>;

/** The oldest answerable time for a query scope: the latest horizon of any scope it touches. */
export function horizonFor(state: RetentionState | undefined, scope: SnapshotFilter): Micros | undefined {
  let h: Micros | undefined;
  for (const e of state?.horizons ?? []) {
    const gkHit = scope.gk === undefined || e.gk === scope.gk;
    const nsHit = scope.namespace === undefined || e.namespace === undefined || e.namespace === scope.namespace;
    if (gkHit && nsHit && (h === undefined || e.horizon > h)) h = e.horizon;
  }
  return h;
}

/**
 * Throws HISTORY_EXPIRED when `at` is older than the retained history of the scope.
 * `details.oldest` is the oldest answerable time (RFC 3339 UTC), `details.oldestMicros` the same in µs.
 */
export function assertRetained(state: RetentionState | undefined, scope: SnapshotFilter, at: Micros): void {
  const oldest = horizonFor(state, scope);
  if (oldest === undefined || at >= oldest) return;
  const what = [scope.gk ?? 'objects', scope.namespace ? `in namespace ${scope.namespace}` : ''].filter(Boolean).join(' ');
  throw new KubetimeError(
    'HISTORY_EXPIRED',
    `history of ${what} before ${formatTime(oldest)} has been removed by retention; ` +
      `${formatTime(at)} is too old, the oldest answerable time is ${formatTime(oldest)}`,
    { oldest: formatTime(oldest), oldestMicros: oldest, at: formatTime(at) },
  );
}

// ---- as-of from the store, and bounded replay from a snapshot -------------------------------

/** The scope of an as-of listing. */
export interface AsOfScope extends SnapshotFilter {
  cluster: string;
  at: Micros;
}

/**
 * Direct as-of: for every lifetime alive at `at`, its latest revision <= at, in the store's
 * lifetimes order (gk, namespace, name, from). This is what a snapshot holds.
 */
export async function* liveRevisionsAt(store: HistoryStore, scope: AsOfScope): AsyncIterable<Revision> {
  const { cluster, gk, namespace, at } = scope;
  for await (const life of store.lifetimes({ cluster, gk, namespace, aliveAt: at })) {
    let found: Revision | undefined;
    for (const limit of [1, undefined]) {
      for await (const r of store.revisions({ key: life.key, to: at, order: 'desc', limit })) {
        if (r.uid === life.uid) { found = r; break; }
      }
      if (found) break;
    }
    if (found && found.op !== 'DELETED') yield found;
  }
}

export interface BoundedListResult {
  snapshot: SnapshotManifest;
  /** The state at `at`, ordered by (gk, namespace, name). */
  items: Revision[];
  /** Feed entries replayed after the snapshot. */
  replayed: number;
}

const mapKey = (gk: string, ns: string, name: string): string => `${gk}\u0000${ns}\u0000${name}`;

/**
 * Bounded replay: the state of `scope` at `at` = the newest snapshot S <= at, restricted to the
 * scope, plus the scope's feed entries in (S, at], each changed name re-read as its latest
 * revision <= at. The work is O(objects of the scope in S + changes of the scope in (S, at]):
 * bounded by the snapshot interval, not by the age of the data. Returns undefined when no
 * snapshot precedes `at` or the snapshot cannot be read (the caller answers directly).
 *
 * Exact for every change the store had received when S was taken (manifest.covers); a change
 * with ts <= S that arrived later is seen only by the direct path. One live uid per name is
 * assumed (Kubernetes guarantees it; out-of-order data could briefly violate it).
 */
export async function listAtFromSnapshot(
  o: { index: SnapshotIndex; store: HistoryStore } & AsOfScope,
): Promise<BoundedListResult | undefined> {
  const snapshot = await o.index.newestAtOrBefore(o.cluster, o.at);
  if (!snapshot) return undefined;
  const filter: SnapshotFilter = { gk: o.gk, namespace: o.namespace };
  const state = new Map<string, Revision>();
  try {
    for await (const r of o.index.readObjects(snapshot, filter)) {
      state.set(mapKey(r.group ? `${r.kind}.${r.group}` : r.kind, r.namespace, r.name), r);
    }
  } catch (e) {
    // A damaged or vanished snapshot: the direct path still answers (verify reports the damage).
    if (e instanceof KubetimeError && e.code === 'SNAPSHOT_INVALID') return undefined;
    throw e;
  }
  const changed = new Map<string, { gk: string; namespace: string; name: string }>();
  let replayed = 0;
  if (o.at > snapshot.at) {
    const q = { cluster: o.cluster, from: snapshot.at + 1, to: o.at, order: 'asc' as const, ...filter };
    for await (const e of o.store.feed(q)) {
      replayed++;
      changed.set(mapKey(e.gk, e.namespace, e.name), { gk: e.gk, namespace: e.namespace, name: e.name });
    }
  }
  for (const [k, key] of changed) {
    let latest: Revision | undefined;
    for await (const r of o.store.revisions({ key: { cluster: o.cluster, ...key }, to: o.at, order: 'desc', limit: 1 })) latest = r;
    if (!latest || latest.op === 'DELETED') state.delete(k);
    else state.set(k, latest);
  }
  const items = [...state.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);
  return { snapshot, items, replayed };
}
