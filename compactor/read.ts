/**
 * Reading snapshots back: `readSnapshot` streams the records matching a filter, skipping parts
 * and lines that cannot match (the parts are sorted, so a reader stops once it is past the
 * filter); `checkSnapshot` reads everything and reports each problem in plain words.
 */
import { KubetimeError } from '../core/errors.ts';
import type { Revision } from '../core/ports.ts';
import { changeRecordSchema } from '../core/record.ts';
import { compareKeys, keyMatches, partMayMatch, snapshotManifestSchema } from '../core/snapshot.ts';
import type { SnapshotFilter, SnapshotKey, SnapshotManifest, SnapshotPart, SnapshotStore } from '../core/snapshot.ts';
import { gunzipLines, lineKey, lineRecord, pastFilter, readText, recordKey, tally } from './format.ts';
import type { Tally } from './format.ts';

/**
 * The records of `manifest` that match `filter`, in (gk, namespace, name) order. A part read to
 * its end is checked against its SHA-256 and size (SNAPSHOT_INVALID on a mismatch); a part left
 * early (past the filter) is not — gzip's own CRC still guards every byte that was read.
 */
export async function* readSnapshot(snapshots: SnapshotStore, manifest: SnapshotManifest, filter: SnapshotFilter = {}): AsyncIterable<Revision> {
  for (const part of manifest.parts) {
    if (pastFilter(part.first, filter)) return;
    if (!partMayMatch(part, filter)) continue;
    const t: Tally = { bytes: 0 };
    let past = false;
    for await (const line of gunzipLines(tally(snapshots.get(part.key), t))) {
      const key = lineKey(line);
      if (pastFilter(key, filter)) {
        past = true;
        break;
      }
      if (keyMatches(key, filter)) yield lineRecord(line);
    }
    if (past) return;
    if (t.sha256 !== undefined && (t.sha256 !== part.sha256 || t.bytes !== part.bytes)) {
      throw new KubetimeError('SNAPSHOT_INVALID', `snapshot part ${part.key} does not match its checksum`, { key: part.key });
    }
  }
}

/** Reads and validates a manifest blob. */
export async function readManifest(snapshots: SnapshotStore, key: string): Promise<SnapshotManifest> {
  const text = await readText(snapshots.get(key));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new KubetimeError('SNAPSHOT_INVALID', `manifest ${key} is not JSON`, { key }, { cause: e });
  }
  const parsed = snapshotManifestSchema.safeParse(json);
  if (!parsed.success) {
    throw new KubetimeError('SNAPSHOT_INVALID', `manifest ${key} is not a kubetime snapshot manifest: ${parsed.error.issues[0]?.message}`, { key });
  }
  return parsed.data;
}

/** Checks one part completely: bytes, checksum, line count, order, record validity, cluster. */
export async function checkPart(snapshots: SnapshotStore, manifest: SnapshotManifest, part: SnapshotPart): Promise<string[]> {
  const problems: string[] = [];
  const t: Tally = { bytes: 0 };
  let count = 0;
  let previous: SnapshotKey | undefined;
  let badRecords = 0;
  try {
    for await (const line of gunzipLines(tally(snapshots.get(part.key), t))) {
      count++;
      const key = lineKey(line);
      if (previous && compareKeys(key, previous) < 0) problems.push(`records are out of order at ${key.join('/')}`);
      previous = key;
      const rec = changeRecordSchema.safeParse(lineRecord(line));
      if (!rec.success || rec.data.cluster !== manifest.cluster || compareKeys(recordKey(rec.data), key) !== 0 || rec.data.op === 'DELETED') badRecords++;
    }
  } catch (e) {
    const what = e instanceof KubetimeError && e.code === 'NOT_FOUND' ? 'is missing' : `cannot be read (${(e as Error).message})`;
    return [`part ${part.key} ${what}`];
  }
  if (t.bytes !== part.bytes) problems.push(`part ${part.key} has ${t.bytes} bytes, the manifest says ${part.bytes}`);
  if (t.sha256 !== part.sha256) problems.push(`part ${part.key} does not match its SHA-256 checksum`);
  if (count !== part.records) problems.push(`part ${part.key} holds ${count} records, the manifest says ${part.records}`);
  if (badRecords) problems.push(`part ${part.key} holds ${badRecords} records that are not valid live objects of cluster ${manifest.cluster}`);
  return problems.map((p) => (p.startsWith('part ') ? p : `part ${part.key}: ${p}`));
}

/** Checks every part of a snapshot; an empty list means it is intact. */
export async function checkSnapshot(snapshots: SnapshotStore, manifest: SnapshotManifest): Promise<string[]> {
  const problems: string[] = [];
  const total = manifest.parts.reduce((s, p) => s + p.records, 0);
  if (total !== manifest.counts.objects) problems.push(`the manifest counts ${manifest.counts.objects} objects but its parts hold ${total}`);
  manifest.parts.forEach((part, i) => {
    const prev = manifest.parts[i - 1];
    if (prev && compareKeys(part.first, prev.last) < 0) problems.push(`part ${part.key} starts before the previous part ends`);
  });
  for (const part of manifest.parts) problems.push(...(await checkPart(snapshots, manifest, part)));
  return problems;
}
