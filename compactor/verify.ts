/**
 * verify: checks the snapshots (manifests, checksums, counts, order), their coverage (gaps
 * between snapshots, a stale newest snapshot, unfinished runs, retention horizons whose snapshot
 * is gone) and the store's consistency with the newest snapshot of each cluster. The result is
 * a structured report; verify-render.ts turns it into plain words.
 */
import type { HistoryStore } from '../core/ports.ts';
import type { SnapshotManifest, SnapshotStore } from '../core/snapshot.ts';
import type { Clock, Micros } from '../core/time.ts';
import { formatTime, humanDuration } from '../core/time.ts';
import { SnapshotCatalog } from './catalog.ts';
import { checkSnapshot } from './read.ts';
import { findLeftovers } from './sweep.ts';
import { compareWithStore } from './verify-store.ts';

export type Severity = 'ok' | 'note' | 'warning' | 'problem';

export interface Finding {
  severity: Severity;
  /** The cluster it concerns, if one. */
  cluster?: string;
  message: string;
}

export interface VerifyReport {
  /** False when any finding is a problem. */
  ok: boolean;
  location: string;
  checkedAt: Micros;
  findings: Finding[];
  counts: Record<Severity, number>;
}

export interface VerifyOptions {
  store: HistoryStore;
  snapshots: SnapshotStore;
  clock: Clock;
  /** The compactor's schedule (default 15 min): gaps longer than twice this are reported. */
  interval?: Micros;
  /** Snapshots older than this are expected one per day (default 26 h; see thinning.ts). */
  keepAllFor?: Micros;
  /** Check the checksums of every snapshot (default) or only the newest of each cluster. */
  checksums?: 'all' | 'newest';
  /** Compare the store with the newest snapshot of each cluster (default true). */
  compareStore?: boolean;
}

const MINUTE = 60_000_000;
const DAY = 1440 * MINUTE;

export async function verify(o: VerifyOptions): Promise<VerifyReport> {
  const now = o.clock.now();
  const findings: Finding[] = [];
  const add = (severity: Severity, message: string, cluster?: string): void => {
    findings.push({ severity, message, ...(cluster !== undefined ? { cluster } : {}) });
  };
  const catalog = new SnapshotCatalog({ snapshots: o.snapshots, clock: o.clock, refreshMicros: 0 });
  for (const bad of await catalog.badManifests()) add('problem', `manifest ${bad.key} cannot be used: ${bad.problem}`);
  for (const l of await findLeftovers(o.snapshots)) {
    add('note', `an unfinished snapshot (${l.id}, ${l.keys.length} part(s), last written ${formatTime(l.modified)}) has no manifest, so it is never used; the compactor removes such leftovers after an hour`, l.cluster);
  }
  let storeClusters: string[] = [];
  try {
    storeClusters = (await o.store.clusters()).map((c) => c.name);
  } catch (e) {
    add('problem', `the history store cannot be read: ${(e as Error).message}`);
  }
  const clusters = [...new Set([...storeClusters, ...(await catalog.clusters())])].sort();
  for (const cluster of clusters) {
    const manifests = await catalog.manifests(cluster);
    const ctx = { ...o, now, cluster, manifests, add: (s: Severity, m: string) => add(s, m, cluster) };
    if (!manifests.length) {
      add('warning', 'the store holds this cluster but there is no snapshot of it yet', cluster);
      continue;
    }
    const intact = await checkChecksums(ctx);
    checkCoverage(ctx);
    await checkRetention({ ...ctx, catalog });
    const newest = intact.at(-1);
    if (newest && storeClusters.includes(cluster) && o.compareStore !== false) await checkStore({ ...ctx, newest });
  }
  const counts: Record<Severity, number> = { ok: 0, note: 0, warning: 0, problem: 0 };
  for (const f of findings) counts[f.severity]++;
  return { ok: counts.problem === 0, location: o.snapshots.location, checkedAt: now, findings, counts };
}

interface ClusterCtx extends VerifyOptions {
  now: Micros;
  cluster: string;
  manifests: SnapshotManifest[];
  add: (s: Severity, m: string) => void;
}

/** Returns the snapshots found intact (all, when only the newest was checked and it is intact). */
async function checkChecksums(c: ClusterCtx): Promise<SnapshotManifest[]> {
  const toCheck = c.checksums === 'newest' ? c.manifests.slice(-1) : c.manifests;
  const intact: SnapshotManifest[] = [];
  let bytes = 0;
  for (const m of toCheck) {
    const problems = await checkSnapshot(c.snapshots, m);
    for (const p of problems) c.add('problem', `snapshot at ${formatTime(m.at)} (${m.id}): ${p}`);
    if (!problems.length) intact.push(m);
    bytes += m.counts.bytes;
  }
  const first = c.manifests[0]!;
  const last = c.manifests.at(-1)!;
  const which = intact.length === toCheck.length
    ? (c.checksums === 'newest' ? 'the newest snapshot matches its checksums' : 'every checksum matches')
    : `${intact.length} of ${toCheck.length} checked match their checksums`;
  c.add(intact.length === toCheck.length ? 'ok' : 'note', `${c.manifests.length} snapshot(s) from ${formatTime(first.at)} to ${formatTime(last.at)}; ${which} (${(bytes / 1e6).toFixed(1)} MB read, ${last.counts.objects} objects in the newest)`);
  return intact;
}

function checkCoverage(c: ClusterCtx): void {
  const interval = c.interval ?? 15 * MINUTE;
  const keepAllFor = c.keepAllFor ?? DAY + 120 * MINUTE;
  for (let i = 1; i < c.manifests.length; i++) {
    const a = c.manifests[i - 1]!;
    const b = c.manifests[i]!;
    const allowed = a.at >= c.now - keepAllFor ? 2 * interval : DAY + 2 * interval;
    if (b.at - a.at > allowed) {
      c.add('warning', `no snapshot between ${formatTime(a.at)} and ${formatTime(b.at)} (${humanDuration((b.at - a.at) / 1e6)}; expected at least every ${humanDuration(allowed / 1e6)}): as-of queries in that window replay more changes`);
    }
  }
  const newest = c.manifests.at(-1)!;
  const age = c.now - newest.at;
  if (age > 2 * interval + 5 * MINUTE) {
    c.add('warning', `the newest snapshot is ${humanDuration(age / 1e6)} old (expected every ${humanDuration(interval / 1e6)}): is the compactor running?`);
  }
}

async function checkRetention(c: ClusterCtx & { catalog: SnapshotCatalog }): Promise<void> {
  const state = await c.catalog.retention(c.cluster);
  if (!state) return;
  const ids = new Set(c.manifests.map((m) => m.id));
  for (const h of state.horizons) {
    const scope = `${h.gk}${h.namespace !== undefined ? ` in namespace ${h.namespace || '(cluster-scoped)'}` : ''}`;
    if (!ids.has(h.snapshotId)) {
      c.add('warning', `history of ${scope} before ${formatTime(h.horizon)} was pruned, but the snapshot at that time (${h.snapshotId}) is gone; a restore cannot rebuild that moment`);
    }
  }
  const oldest = Math.min(...state.horizons.map((h) => h.horizon));
  if (state.horizons.length) c.add('ok', `retention last ran at ${formatTime(state.appliedAt)}; the oldest answerable time is ${formatTime(oldest)} (later for some kinds)`);
}

async function checkStore(c: ClusterCtx & { newest: SnapshotManifest }): Promise<void> {
  const at = formatTime(c.newest.at);
  let cmp;
  try {
    cmp = await compareWithStore({ store: c.store, snapshots: c.snapshots, manifest: c.newest });
  } catch (e) {
    c.add('problem', `the store could not be compared with the snapshot at ${at}: ${(e as Error).message}`);
    return;
  }
  if (cmp.mismatched) {
    c.add('problem', `the store disagrees with the snapshot at ${at} on ${cmp.mismatched} object(s), e.g. ${cmp.examples.join('; ')}`);
  } else {
    c.add('ok', `the store agrees with the newest snapshot (${at}) on all ${cmp.matched} objects`);
  }
  if (cmp.late) c.add('note', `${cmp.late} object(s) changed at or before ${at} but reached the store after that snapshot was taken (late audit batches or relists); the next snapshot includes them`);
}
