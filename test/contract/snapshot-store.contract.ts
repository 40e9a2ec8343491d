/**
 * The SnapshotStore contract (core/snapshot.ts), run against every adapter (folder, S3, the
 * in-memory test fake) so they behave the same. Usage in an adapter's test file:
 *
 *   snapshotStoreContract('FsSnapshotStore', async () => ({ store, cleanup }));
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BlobInfo, SnapshotStore } from '../../core/snapshot.ts';

export interface SnapshotStoreSubject {
  store: SnapshotStore;
  cleanup(): Promise<void>;
}

async function* chunks(data: Buffer, size = 64 * 1024): AsyncIterable<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

async function* failingAfter(data: Buffer, bytes: number): AsyncIterable<Uint8Array> {
  let sent = 0;
  for await (const c of chunks(data, 256 * 1024)) {
    if (sent >= bytes) throw new Error('producer failed');
    sent += c.length;
    yield c;
  }
  throw new Error('producer failed');
}

async function read(store: SnapshotStore, key: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of store.get(key)) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

async function list(store: SnapshotStore, prefix: string): Promise<BlobInfo[]> {
  const out: BlobInfo[] = [];
  for await (const b of store.list(prefix)) out.push(b);
  return out;
}

export function snapshotStoreContract(name: string, make: () => Promise<SnapshotStoreSubject>, o: { big?: number } = {}): void {
  describe(`SnapshotStore contract: ${name}`, () => {
    let s: SnapshotStoreSubject;
    beforeEach(async () => {
      s = await make();
    });
    afterEach(async () => {
      await s.cleanup();
    });

    it('stores and returns bytes exactly, small and large', async () => {
      const small = Buffer.from('{"hello":"world"}');
      const big = randomBytes(o.big ?? 12 * 1024 * 1024); // larger than an S3 multipart part
      expect(await s.store.put('a/small.json', chunks(small))).toEqual({ bytes: small.length });
      expect(await s.store.put('a/big.bin', chunks(big))).toEqual({ bytes: big.length });
      expect((await read(s.store, 'a/small.json')).equals(small)).toBe(true);
      expect((await read(s.store, 'a/big.bin')).equals(big)).toBe(true);
    });

    it('stores an empty blob', async () => {
      expect(await s.store.put('empty.bin', chunks(Buffer.alloc(0)))).toEqual({ bytes: 0 });
      expect((await read(s.store, 'empty.bin')).length).toBe(0);
      expect((await list(s.store, 'empty')).map((b) => [b.key, b.bytes])).toEqual([['empty.bin', 0]]);
    });

    it('replaces a blob put again under the same key', async () => {
      await s.store.put('k.json', chunks(Buffer.from('one')));
      await s.store.put('k.json', chunks(Buffer.from('two!')));
      expect((await read(s.store, 'k.json')).toString()).toBe('two!');
      expect((await list(s.store, 'k')).map((b) => b.bytes)).toEqual([4]);
    });

    it('rejects a missing key with NOT_FOUND', async () => {
      await expect(read(s.store, 'no/such.json')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('lists by prefix, in key order, with sizes and times', async () => {
      const before = Date.now() * 1000 - 5_000_000;
      for (const k of ['manifests/c/2.json', 'manifests/c/1.json', 'manifests/d/1.json', 'parts/c/1/part-00000.ndjson.gz', 'manifests-not/x.json']) {
        await s.store.put(k, chunks(Buffer.from(k)));
      }
      const got = await list(s.store, 'manifests/');
      expect(got.map((b) => b.key)).toEqual(['manifests/c/1.json', 'manifests/c/2.json', 'manifests/d/1.json']);
      expect(got.map((b) => b.bytes)).toEqual(got.map((b) => b.key.length));
      expect(got.every((b) => b.modified > before && b.modified < Date.now() * 1000 + 5_000_000)).toBe(true);
      expect((await list(s.store, 'manifests/c/')).length).toBe(2);
      expect((await list(s.store, 'manifests')).length).toBe(4); // a prefix need not end at a '/'
      expect((await list(s.store, '')).length).toBe(5);
      expect(await list(s.store, 'nothing/')).toEqual([]);
    });

    it('deletes, ignoring keys that do not exist', async () => {
      await s.store.put('x/1.json', chunks(Buffer.from('1')));
      await s.store.put('x/2.json', chunks(Buffer.from('2')));
      await s.store.delete(['x/1.json', 'x/404.json']);
      expect((await list(s.store, 'x/')).map((b) => b.key)).toEqual(['x/2.json']);
      await s.store.delete([]);
    });

    it('a put whose producer fails leaves nothing visible, and keeps an older blob', async () => {
      const data = randomBytes(o.big ?? 12 * 1024 * 1024);
      await expect(s.store.put('f/new.bin', failingAfter(data, 100))).rejects.toThrow();
      await expect(s.store.put('f/new2.bin', failingAfter(data, data.length - 1))).rejects.toThrow();
      await s.store.put('f/old.bin', chunks(Buffer.from('old')));
      await expect(s.store.put('f/old.bin', failingAfter(data, data.length / 2))).rejects.toThrow();
      expect((await list(s.store, 'f/')).map((b) => b.key)).toEqual(['f/old.bin']);
      expect((await read(s.store, 'f/old.bin')).toString()).toBe('old');
      await expect(read(s.store, 'f/new.bin')).rejects.toMatchObject({ code: 'NOT_FOUND' });
      // Leftovers of the failed puts are the store's business; complete blobs survive a cleanup.
      expect(await s.store.removeIncomplete(Date.now() * 1000 + 60_000_000)).toBeGreaterThanOrEqual(0);
      expect((await read(s.store, 'f/old.bin')).toString()).toBe('old');
    });

    it('rejects keys that are not valid', async () => {
      for (const bad of ['../escape', '/abs', 'a//b', 'a/./b', 'sp ace']) {
        await expect(s.store.put(bad, chunks(Buffer.from('x'))), bad).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      }
    });

    it('has a location for reports', () => {
      expect(s.store.location).toMatch(/^(file|s3|memory):\/\//);
    });
  });
}
