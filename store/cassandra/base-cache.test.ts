import { describe, expect, it } from 'vitest';
import { BaseCache } from './base-cache.ts';
import type { CassandraDb } from './client.ts';
import { pack, unpackJson } from './codec.ts';

describe('BaseCache.peek', () => {
  it('gives readers the base it holds only under the hash they ask for, and never reads Cassandra', () => {
    const db = new Proxy({}, { get: () => { throw new Error('no request expected'); } }) as CassandraDb;
    const cache = new BaseCache(db);
    const loc = { cluster: 'c', gk: 'Pod', namespace: 'ns', name: 'p', uid: 'u1', ts: 1, rvid: '1' };
    const object = { kind: 'Pod', metadata: { name: 'p' }, spec: { n: 2 } };
    cache.remember(loc, 100, { hash: 'h2', size: 10, object, ...pack(JSON.stringify(object)) });
    const held = cache.peek(loc, 100, 'h2');
    expect(held && unpackJson(held.codec, held.body)).toEqual(object);
    expect(cache.peek(loc, 100, 'h1')).toBeUndefined(); // an older base of the same uid
    expect(cache.peek({ ...loc, uid: 'u2' }, 100, 'h2')).toBeUndefined();
    expect(cache.peek(loc, 200, 'h2')).toBeUndefined(); // another bucket
  });
});
