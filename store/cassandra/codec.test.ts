import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../core/record.ts';
import { CODEC_DEFLATE, CODEC_PATCH, decodeObject, encodeObject, pack, unpackJson, type BaseEntry } from './codec.ts';

function node(heartbeat: number, extra = ''): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', uid: 'u1', resourceVersion: String(heartbeat) },
    status: { images: Array.from({ length: 30 }, (_, i) => ({ names: [`registry.example.com/team/image-${i}:v1.2.3`], sizeBytes: 1000 + i })), heartbeat, extra },
  };
}

const noBase = async () => null;

async function roundTrip(obj: KubeObject | null, base?: BaseEntry & { codec: number; body: Buffer }) {
  const enc = encodeObject(obj, base);
  const bases = new Map<string, KubeObject>();
  if (base) bases.set(base.hash, unpackJson(base.codec, base.body) as KubeObject);
  if (enc.newBase) bases.set(enc.newBase.hash, unpackJson(enc.newBase.codec, enc.newBase.body) as KubeObject);
  return { enc, back: await decodeObject(enc.codec, enc.body, enc.baseHash, async (h) => bases.get(h) ?? null) };
}

describe('pack', () => {
  it('leaves small JSON as is and deflates large JSON', () => {
    expect(pack('{"a":1}').codec).toBe(0);
    const big = pack(JSON.stringify({ s: 'x'.repeat(5000) }));
    expect(big.codec & CODEC_DEFLATE).toBe(CODEC_DEFLATE);
    expect(big.body.length).toBeLessThan(200);
    expect(unpackJson(big.codec, big.body)).toEqual({ s: 'x'.repeat(5000) });
  });

  it('reports a corrupt body as INTERNAL, not a crash', () => {
    expect(() => unpackJson(CODEC_DEFLATE, Buffer.from('not deflate'))).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
  });
});

describe('encodeObject / decodeObject', () => {
  it('stores a small object inline, without a base', async () => {
    const obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } };
    const { enc, back } = await roundTrip(obj);
    expect(enc.baseHash).toBeNull();
    expect(enc.codec & CODEC_PATCH).toBe(0);
    expect(back).toEqual(obj);
  });

  it('makes a large object a content-addressed base and stores the revision as an empty patch', async () => {
    const { enc, back } = await roundTrip(node(1));
    expect(enc.newBase).toBeDefined();
    expect(enc.baseHash).toBe(enc.newBase!.hash);
    expect(enc.codec & CODEC_PATCH).toBe(CODEC_PATCH);
    expect(back).toEqual(node(1));
    expect(encodeObject(node(1), undefined).newBase!.hash).toBe(enc.newBase!.hash);
    expect(encodeObject(node(2), undefined).newBase!.hash).not.toBe(enc.newBase!.hash);
  });

  it('patches a small change against the base, far smaller than the object', async () => {
    const first = encodeObject(node(1), undefined).newBase!;
    const { enc, back } = await roundTrip(node(2), first);
    expect(enc.newBase).toBeUndefined();
    expect(enc.baseHash).toBe(first.hash);
    expect(enc.body!.length).toBeLessThan(JSON.stringify(node(2)).length / 10);
    expect(back).toEqual(node(2));
  });

  it('takes a new base when the patch outgrows a quarter of the base', async () => {
    const first = encodeObject(node(1), undefined).newBase!;
    const { enc, back } = await roundTrip(node(2, 'y'.repeat(3000)), first);
    expect(enc.newBase).toBeDefined();
    expect(enc.baseHash).not.toBe(first.hash);
    expect(back).toEqual(node(2, 'y'.repeat(3000)));
  });

  it('keeps null as null', async () => {
    const { enc, back } = await roundTrip(null);
    expect(enc.body).toBeNull();
    expect(back).toBeNull();
  });

  it('fails with INTERNAL when a patch refers to a missing base', async () => {
    const enc = encodeObject(node(1), undefined);
    await expect(decodeObject(enc.codec, enc.body, enc.baseHash, noBase)).rejects.toMatchObject({ code: 'INTERNAL' });
  });

  it('returns copies: changing a decoded object does not change the next decode', async () => {
    const enc = encodeObject(node(1), undefined);
    const base = enc.newBase!.object;
    const a = await decodeObject(enc.codec, enc.body, enc.baseHash, async () => base);
    (a!.metadata as Record<string, unknown>).name = 'changed';
    const b = await decodeObject(enc.codec, enc.body, enc.baseHash, async () => base);
    expect((b!.metadata as Record<string, unknown>).name).toBe('n1');
  });
});
