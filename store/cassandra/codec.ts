/**
 * How objects are stored in `revisions.body` / `revision_bases.body`:
 * - JSON, deflate-raw compressed when longer than COMPRESS_ABOVE bytes (codec bit 1);
 * - an object of at least BASE_ABOVE bytes is stored once as a content-addressed base (its
 *   sha256) in its revisions bucket, and each revision as an RFC 6902 patch against it (codec
 *   bit 2), with a new base when the patch outgrows core/delta.ts's ratio. Reading a revision is
 *   one base plus one patch, never a chain; bases never change, so retries and concurrent writers
 *   are harmless.
 */
import { createHash } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { planDelta } from '../../core/delta.ts';
import { KubetimeError } from '../../core/errors.ts';
import { applyPatch, type JsonPatchOp } from '../../k8s/json-patch.ts';
import type { KubeObject } from '../../core/record.ts';

export const CODEC_DEFLATE = 1;
export const CODEC_PATCH = 2;
const COMPRESS_ABOVE = 512;
const BASE_ABOVE = 1024;

export interface Packed {
  codec: number;
  body: Buffer;
}

export function pack(json: string): Packed {
  const raw = Buffer.from(json, 'utf8');
  if (raw.length <= COMPRESS_ABOVE) return { codec: 0, body: raw };
  const z = deflateRawSync(raw);
  return z.length < raw.length ? { codec: CODEC_DEFLATE, body: z } : { codec: 0, body: raw };
}

export function unpackJson(codec: number, body: Buffer): unknown {
  try {
    const raw = codec & CODEC_DEFLATE ? inflateRawSync(body) : body;
    return JSON.parse(raw.toString('utf8'));
  } catch (e) {
    throw new KubetimeError('INTERNAL', 'cassandra: a stored object cannot be decoded', {}, { cause: e });
  }
}

/** A base as the writer remembers it, to patch the next revisions of the same uid against. */
export interface BaseEntry {
  hash: string;
  object: KubeObject;
  /** Length of its JSON. */
  size: number;
}

/** What to write for one revision's object. */
export interface EncodedObject {
  codec: number;
  body: Buffer | null;
  baseHash: string | null;
  /** A base to write before the revision (and to remember once written). */
  newBase?: BaseEntry & Packed;
}

/** Encodes `obj`, patching against `base` (the uid's current base in the same bucket) when worth it. */
export function encodeObject(obj: KubeObject | null, base: BaseEntry | undefined): EncodedObject {
  if (obj === null) return { codec: 0, body: null, baseHash: null };
  if (base) {
    const plan = planDelta(base.object, base.size, obj);
    if (plan.kind === 'patch') return encodePatch(plan.patch, base.hash);
  }
  const json = JSON.stringify(obj);
  if (json.length < BASE_ABOVE) return { ...pack(json), baseHash: null };
  const hash = createHash('sha256').update(json).digest('base64url').slice(0, 32);
  return { ...encodePatch([], hash), newBase: { hash, object: obj, size: json.length, ...pack(json) } };
}

function encodePatch(patch: JsonPatchOp[], baseHash: string): EncodedObject {
  const p = pack(JSON.stringify(patch));
  return { codec: p.codec | CODEC_PATCH, body: p.body, baseHash };
}

/** Decodes a stored body; `base` fetches the base a patch refers to. */
export async function decodeObject(
  codec: number, body: Buffer | null, baseHash: string | null, base: (hash: string) => Promise<KubeObject | null>,
): Promise<KubeObject | null> {
  if (body === null) return null;
  const value = unpackJson(codec, body);
  if (!(codec & CODEC_PATCH)) return value as KubeObject;
  const b = baseHash ? await base(baseHash) : null;
  if (!b) throw new KubetimeError('INTERNAL', `cassandra: the base ${baseHash} of a stored revision is missing`, { baseHash });
  const patch = value as JsonPatchOp[];
  return patch.length ? applyPatch(b, patch) : structuredClone(b);
}
