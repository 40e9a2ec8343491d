/**
 * The stored form of a chain's full copy: the object's JSON, raw-deflated with a dictionary of
 * Kubernetes vocabulary. A Pod's JSON shrinks about four-fold this way, where LZ4 over msgpack
 * managed a quarter; full copies are one revision in CHAIN_MAX, so this is most of the saving.
 */
import { readFileSync } from 'node:fs';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { KubeObject } from '../../core/record.ts';

const DICTIONARY = readFileSync(new URL('./k8s-dictionary-v1.txt', import.meta.url));

export function packFull(obj: KubeObject | null): Uint8Array | null {
  return obj === null ? null : deflateRawSync(JSON.stringify(obj), { level: 6, dictionary: DICTIONARY });
}

export function unpackFull(packed: Uint8Array | null): KubeObject | null {
  return packed === null ? null : (JSON.parse(unpackFullText(packed).toString('utf8')) as KubeObject);
}

/** A full copy's JSON text, unparsed: the bytes `JSON.stringify` gave when it was packed. */
export function unpackFullText(packed: Uint8Array): Buffer {
  return inflateRawSync(packed, { dictionary: DICTIONARY });
}
