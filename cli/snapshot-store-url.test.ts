import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FsSnapshotStore } from '../store/fs/fs-snapshot-store.ts';
import { S3SnapshotStore } from '../store/s3/s3-snapshot-store.ts';
import { parseSnapshotUrl, snapshotStoreFromUrl } from './snapshot-store-url.ts';

describe('snapshot store URLs', () => {
  it('parses folders and S3 locations', () => {
    expect(parseSnapshotUrl('./data/snapshots')).toEqual({ kind: 'file', path: './data/snapshots' });
    expect(parseSnapshotUrl('file:///var/lib/kubetime/snaps')).toEqual({ kind: 'file', path: '/var/lib/kubetime/snaps' });
    expect(parseSnapshotUrl('file://./data/snapshots')).toEqual({ kind: 'file', path: './data/snapshots' });
    expect(parseSnapshotUrl('s3://kubetime')).toEqual({ kind: 's3', bucket: 'kubetime', prefix: '' });
    expect(parseSnapshotUrl('s3://kubetime/team/snaps/')).toEqual({ kind: 's3', bucket: 'kubetime', prefix: 'team/snaps' });
  });

  it('names the parameter when a URL is wrong', () => {
    expect(() => parseSnapshotUrl('http://x/y')).toThrow(/snapshots: "http:\/\/x\/y": use a folder/);
    expect(() => parseSnapshotUrl('s3://Bad_Bucket/x')).toThrow(/valid bucket name/);
    expect(() => parseSnapshotUrl('  ')).toThrow(/must not be empty/);
  });

  it('opens the matching adapter', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kt-url-'));
    try {
      const fs = await snapshotStoreFromUrl(`file://${dir}/snaps`);
      expect(fs).toBeInstanceOf(FsSnapshotStore);
      expect(fs.location).toBe(`file://${dir}/snaps`);
      const s3 = await snapshotStoreFromUrl('s3://kubetime/snaps', { endpoint: 'http://127.0.0.1:1', region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
      expect(s3).toBeInstanceOf(S3SnapshotStore);
      expect(s3.location).toBe('s3://kubetime/snaps/ (at http://127.0.0.1:1)');
      await s3.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
