/**
 * Opens the SnapshotStore a URL names (`KUBETIME_SNAPSHOTS`, `kubetime restore --from URL`):
 * - a plain path, `file:///abs/path` or `file://./relative/path` → FsSnapshotStore;
 * - `s3://bucket/prefix` → S3SnapshotStore (with `endpoint` for S3-compatible servers, which
 *   also turns on path-style addressing unless told otherwise).
 * Settings come from the caller (cli/ parses config); nothing here reads the environment. It lives
 * in cli/ because only the composition root builds store adapters (.dependency-cruiser.cjs).
 */
import { fileURLToPath } from 'node:url';
import { invalidArgument } from '../core/errors.ts';
import type { SnapshotStore } from '../core/snapshot.ts';
import { FsSnapshotStore } from '../store/fs/fs-snapshot-store.ts';
import { S3SnapshotStore } from '../store/s3/s3-snapshot-store.ts';
import type { S3SnapshotStoreOptions } from '../store/s3/s3-snapshot-store.ts';

export type SnapshotLocation = { kind: 'file'; path: string } | { kind: 's3'; bucket: string; prefix: string };

/** S3 settings besides the bucket and prefix, which come from the URL. */
export type S3Settings = Omit<S3SnapshotStoreOptions, 'bucket' | 'prefix' | 'client'>;

export function parseSnapshotUrl(url: string, param = 'snapshots'): SnapshotLocation {
  const text = url.trim();
  if (!text) throw invalidArgument(param, 'must not be empty');
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(text)?.[1]?.toLowerCase();
  if (scheme === undefined || /^[a-z]:[\\/]/i.test(text)) return { kind: 'file', path: text };
  if (scheme === 'file') {
    if (text.startsWith('file:///')) return { kind: 'file', path: fileURLToPath(text) };
    const rest = text.replace(/^file:(\/\/)?/i, '');
    if (!rest) throw invalidArgument(param, `"${url}" names no folder`);
    return { kind: 'file', path: decodeURIComponent(rest) };
  }
  if (scheme === 's3') {
    const m = /^s3:\/\/([^/]+)\/?(.*)$/i.exec(text);
    if (!m || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(m[1]!)) {
      throw invalidArgument(param, `"${url}" is not s3://bucket/prefix with a valid bucket name`);
    }
    return { kind: 's3', bucket: m[1]!, prefix: m[2]!.replace(/\/+$/, '') };
  }
  throw invalidArgument(param, `"${url}": use a folder, file:///path or s3://bucket/prefix`);
}

/** Opens the store `url` names. */
export async function snapshotStoreFromUrl(url: string, s3: S3Settings = {}): Promise<SnapshotStore> {
  const loc = parseSnapshotUrl(url);
  if (loc.kind === 'file') return FsSnapshotStore.open({ root: loc.path });
  return new S3SnapshotStore({ ...s3, bucket: loc.bucket, prefix: loc.prefix });
}
