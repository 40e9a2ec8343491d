/**
 * restore: rebuilds a history store from snapshots. Each cluster's snapshots are replayed oldest
 * first; consecutive snapshots are merge-joined by (gk, namespace, name), so an object that
 * changed between them gets its newer revision, one that vanished gets a DELETED record
 * (`gap: true`, since the exact time is unknown — it is placed at the later snapshot's time, or
 * at the creation of the uid that replaced it), and one that appeared gets its record. Restored
 * records carry source `snapshot`. The state at every snapshot time is then exactly the
 * snapshot's; between snapshots only the snapshotted revisions are known.
 *
 * Every snapshot is checked (checksums, counts, order) before any of its records is used; a
 * damaged snapshot is skipped and reported. Appending is idempotent, so a restore can be re-run.
 */
import type { Logger } from 'pino';
import type { HistoryStore, Revision } from '../core/ports.ts';
import { compareKeys } from '../core/snapshot.ts';
import type { SnapshotManifest, SnapshotStore } from '../core/snapshot.ts';
import type { Clock, Micros } from '../core/time.ts';
import { formatTime, parseRfc3339 } from '../core/time.ts';
import { SnapshotCatalog } from './catalog.ts';
import { recordKey } from './format.ts';
import { checkSnapshot, readSnapshot } from './read.ts';

export interface RestoreOptions {
  from: SnapshotStore;
  into: HistoryStore;
  clock: Clock;
  /** Default: every cluster with snapshots. */
  clusters?: string[];
  logger?: Logger;
  batchSize?: number;
}

export interface ClusterRestore {
  cluster: string;
  /** Snapshots replayed, oldest first. */
  used: { id: string; at: Micros; objects: number }[];
  skipped: { id: string; at: Micros; problems: string[] }[];
  /** Revisions appended (object states) and deletions inferred between snapshots. */
  revisions: number;
  deletions: number;
}

export async function restore(o: RestoreOptions): Promise<ClusterRestore[]> {
  const catalog = new SnapshotCatalog({ snapshots: o.from, clock: o.clock, refreshMicros: 0, logger: o.logger });
  const clusters = o.clusters ?? (await catalog.clusters());
  const out: ClusterRestore[] = [];
  for (const cluster of clusters) {
    const report: ClusterRestore = { cluster, used: [], skipped: [], revisions: 0, deletions: 0 };
    const writer = new BatchWriter(o.into, o.batchSize ?? 1000);
    let previous: SnapshotManifest | undefined;
    for (const m of await catalog.manifests(cluster)) {
      const problems = await checkSnapshot(o.from, m);
      if (problems.length) {
        report.skipped.push({ id: m.id, at: m.at, problems });
        o.logger?.warn({ cluster, snapshot: m.id, problems }, 'damaged snapshot skipped during restore');
        continue;
      }
      const counts = await replayStep({ from: o.from, previous, next: m, writer, now: o.clock.now() });
      report.revisions += counts.revisions;
      report.deletions += counts.deletions;
      report.used.push({ id: m.id, at: m.at, objects: m.counts.objects });
      previous = m;
      o.logger?.info({ cluster, snapshot: m.id, at: formatTime(m.at), ...counts }, 'snapshot restored');
    }
    await writer.flush();
    out.push(report);
  }
  return out;
}

class BatchWriter {
  private batch: Revision[] = [];
  private readonly into: HistoryStore;
  private readonly size: number;
  constructor(into: HistoryStore, size: number) {
    this.into = into;
    this.size = size;
  }
  async add(r: Revision): Promise<void> {
    this.batch.push(r);
    if (this.batch.length >= this.size) await this.flush();
  }
  async flush(): Promise<void> {
    if (!this.batch.length) return;
    const b = this.batch;
    this.batch = [];
    await this.into.append(b);
  }
}

async function* none(): AsyncIterable<Revision> {}

/** Appends what changed from `previous` (undefined: nothing) to `next`. */
async function replayStep(o: { from: SnapshotStore; previous?: SnapshotManifest; next: SnapshotManifest; writer: BatchWriter; now: Micros }) {
  const a = (o.previous ? readSnapshot(o.from, o.previous) : none())[Symbol.asyncIterator]();
  const b = readSnapshot(o.from, o.next)[Symbol.asyncIterator]();
  let ra = await a.next();
  let rb = await b.next();
  let revisions = 0;
  let deletions = 0;
  const lower = (o.previous?.at ?? -Infinity) + 1;
  while (!ra.done || !rb.done) {
    const cmp = ra.done ? 1 : rb.done ? -1 : compareKeys(recordKey(ra.value), recordKey(rb.value));
    if (cmp < 0) {
      await o.writer.add(deletion(ra.value, o.next.at, o.now));
      deletions++;
      ra = await a.next();
      continue;
    }
    const old = cmp === 0 ? ra.value : undefined;
    const rec = rb.value as Revision;
    if (old && old.uid !== rec.uid) {
      await o.writer.add(deletion(old, clamp(replacedAt(rec), lower, o.next.at), o.now));
      deletions++;
    }
    if (!old || old.uid !== rec.uid || old.resourceVersion !== rec.resourceVersion || old.ts !== rec.ts) {
      await o.writer.add({ ...rec, source: 'snapshot' });
      revisions++;
    }
    if (cmp === 0) ra = await a.next();
    rb = await b.next();
  }
  return { revisions, deletions };
}

/** When the uid that now carries the name was created: its creationTimestamp, else its record. */
function replacedAt(r: Revision): Micros {
  const created = (r.object?.metadata as { creationTimestamp?: unknown } | undefined)?.creationTimestamp;
  const t = typeof created === 'string' ? parseRfc3339(created) : undefined;
  return Math.min(t ?? r.ts, r.ts);
}

const clamp = (t: Micros, lo: Micros, hi: Micros): Micros => Math.min(hi, Math.max(lo, t));

function deletion(last: Revision, ts: Micros, now: Micros): Revision {
  const { actor: _a, verb: _v, auditID: _i, ...rest } = last;
  return { ...rest, op: 'DELETED', resourceVersion: '', ts, observedAt: now, source: 'snapshot', gap: true };
}
