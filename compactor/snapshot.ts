/**
 * takeSnapshot: writes the state of one cluster at S into a SnapshotStore — parts first, each
 * streamed through gzip and SHA-256, the manifest last — so a snapshot that fails half-way is
 * never visible (readers only trust manifests; the parts of a failed run are swept later).
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { KubetimeError } from '../core/errors.ts';
import type { HistoryStore, Revision } from '../core/ports.ts';
import { compareKeys, liveRevisionsAt, SNAPSHOT_FORMAT, snapshotId, snapshotKeys, snapshotManifestSchema } from '../core/snapshot.ts';
import type { SnapshotKey, SnapshotManifest, SnapshotPart, SnapshotStore } from '../core/snapshot.ts';
import type { Clock, Micros } from '../core/time.ts';
import { formatTime } from '../core/time.ts';
import { bytesOf, encodeLine, gzipText, recordKey, tally } from './format.ts';
import type { Tally } from './format.ts';

/** Default size of one part before compression (a new part starts once it is reached). */
export const DEFAULT_PART_BYTES = 32 * 1024 * 1024;

export interface TakeSnapshotOptions {
  store: HistoryStore;
  snapshots: SnapshotStore;
  cluster: string;
  /** S: the snapshot holds every change with ts <= at. Take it safely in the past (settle delay). */
  at: Micros;
  clock: Clock;
  logger?: Logger;
  /** Uncompressed bytes per part (default 32 MiB). */
  partBytes?: number;
  /** gzip level 1–9 (default 6). */
  gzipLevel?: number;
}

interface PartDraft {
  key: string;
  records: number;
  rawBytes: number;
  kinds: Record<string, number>;
  first?: SnapshotKey;
  last?: SnapshotKey;
}

/** The store's live records in snapshot order, pulled part by part from one shared iterator. */
class RecordSource {
  private readonly it: AsyncIterator<Revision>;
  private pending: IteratorResult<Revision> | undefined;
  private previous: SnapshotKey | undefined;

  constructor(records: AsyncIterable<Revision>) {
    this.it = records[Symbol.asyncIterator]();
  }

  async more(): Promise<boolean> {
    this.pending ??= await this.it.next();
    return !this.pending.done;
  }

  /** Lines for one part, until it holds `partBytes` or the records run out. */
  async *lines(draft: PartDraft, partBytes: number): AsyncIterable<string> {
    while ((await this.more()) && draft.rawBytes < partBytes) {
      const rec = this.pending!.value as Revision;
      const key = recordKey(rec);
      if (this.previous && compareKeys(key, this.previous) < 0) {
        throw new KubetimeError('INTERNAL', `history store returned ${key.join('/')} after ${this.previous.join('/')}: lifetimes are not in (gk, namespace, name) order`);
      }
      this.previous = key;
      draft.first ??= key;
      draft.last = key;
      draft.kinds[key[0]] = (draft.kinds[key[0]] ?? 0) + 1;
      draft.records++;
      const line = encodeLine(key, rec);
      draft.rawBytes += line.length;
      this.pending = undefined;
      yield line;
    }
  }

  async close(): Promise<void> {
    await this.it.return?.();
  }
}

/** Writes one full snapshot of `cluster` at `at` and returns its manifest (already stored). */
export async function takeSnapshot(o: TakeSnapshotOptions): Promise<SnapshotManifest> {
  const takenAt = o.clock.now();
  if (o.at > takenAt) {
    throw new KubetimeError('INVALID_ARGUMENT', `at: a snapshot at ${formatTime(o.at)} would be in the future (now is ${formatTime(takenAt)})`, { param: 'at' });
  }
  const id = snapshotId(o.at, randomBytes(4).toString('hex'));
  const log = o.logger?.child({ cluster: o.cluster, snapshot: id });
  const source = new RecordSource(liveRevisionsAt(o.store, { cluster: o.cluster, at: o.at }));
  const parts: SnapshotPart[] = [];
  try {
    while (await source.more()) {
      const part = await writePart({ ...o, source, key: snapshotKeys.part(o.cluster, id, parts.length) });
      parts.push(part);
      log?.debug({ part: part.key, records: part.records, bytes: part.bytes }, 'snapshot part written');
    }
    await confirmParts(o.snapshots, o.cluster, id, parts);
    const manifest = buildManifest({ id, cluster: o.cluster, at: o.at, takenAt, parts });
    await o.snapshots.put(snapshotKeys.manifest(o.cluster, id), bytesOf(JSON.stringify(manifest, null, 1)));
    log?.info({ at: formatTime(o.at), objects: manifest.counts.objects, bytes: manifest.counts.bytes, parts: parts.length, ms: (o.clock.now() - takenAt) / 1000 }, 'snapshot written');
    return manifest;
  } catch (e) {
    log?.warn({ err: e }, 'snapshot failed; its parts stay invisible and are swept later');
    // Best effort: the parts are invisible without a manifest; the sweep removes what this misses.
    await o.snapshots.delete(parts.map((p) => p.key)).catch(() => {});
    throw e;
  } finally {
    await source.close();
  }
}

/** Streams one part through gzip and SHA-256 into the store. */
async function writePart(o: TakeSnapshotOptions & { source: RecordSource; key: string }): Promise<SnapshotPart> {
  const draft: PartDraft = { key: o.key, records: 0, rawBytes: 0, kinds: {} };
  const t: Tally = { bytes: 0 };
  await o.snapshots.put(o.key, tally(gzipText(o.source.lines(draft, o.partBytes ?? DEFAULT_PART_BYTES), o.gzipLevel), t));
  if (t.sha256 === undefined || !draft.first || !draft.last) {
    throw new KubetimeError('INTERNAL', `snapshot store returned before reading all of ${o.key}`);
  }
  return { key: o.key, records: draft.records, bytes: t.bytes, rawBytes: draft.rawBytes, sha256: t.sha256, first: draft.first, last: draft.last, kinds: draft.kinds };
}

/** Re-lists the parts before the manifest goes up: every part must be there, at its size. */
async function confirmParts(snapshots: SnapshotStore, cluster: string, id: string, parts: SnapshotPart[]): Promise<void> {
  const found = new Map<string, number>();
  for await (const b of snapshots.list(snapshotKeys.partsPrefix(cluster, id))) found.set(b.key, b.bytes);
  for (const p of parts) {
    if (found.get(p.key) !== p.bytes) {
      throw new KubetimeError('SNAPSHOT_INVALID', `snapshot part ${p.key} is missing or has the wrong size after upload`, { key: p.key, expected: p.bytes, found: found.get(p.key) ?? null });
    }
  }
}

function buildManifest(o: { id: string; cluster: string; at: Micros; takenAt: Micros; parts: SnapshotPart[] }): SnapshotManifest {
  const byKind: Record<string, number> = {};
  for (const p of o.parts) for (const [gk, n] of Object.entries(p.kinds)) byKind[gk] = (byKind[gk] ?? 0) + n;
  const sum = (f: (p: SnapshotPart) => number): number => o.parts.reduce((s, p) => s + f(p), 0);
  return snapshotManifestSchema.parse({
    format: SNAPSHOT_FORMAT,
    id: o.id,
    cluster: o.cluster,
    at: o.at,
    takenAt: o.takenAt,
    covers: { changesThrough: o.at, receivedBy: o.takenAt },
    counts: { objects: sum((p) => p.records), bytes: sum((p) => p.bytes), rawBytes: sum((p) => p.rawBytes), byKind },
    parts: o.parts,
  });
}
