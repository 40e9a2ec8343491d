/**
 * The stored form of a rev value (keys.ts StoredRevision) from format v7 on: one pre-encoded
 * buffer instead of a msgpack record, given to lmdb-js as the rev database's encoder. msgpack
 * encoded every patch operation as a record, in JavaScript, and decoded it back the same way on
 * every chain read; here the patch is its JSON text (V8's native stringify and parse) and the
 * rest a few fixed fields:
 *
 *   byte 0      TAG (below 250: lmdb-js reads a first byte of 250 or more as its compression mark)
 *   byte 1      flags: op (bits 0-1, index in OPS), actor, verb, auditID, gap (bits 2-5), body (bits 6-7)
 *   byte 2      depth (< CHAIN_MAX)
 *   bytes 3-10  observedAt, float64 little-endian (µs: an integer below 2^53, exact)
 *   then        source, apiVersion, and actor, verb, auditID where flagged: each a length
 *               (one byte below 128, else 128 and a uint32 little-endian) and its UTF-8 bytes
 *   then        the body to the end: the patch's JSON text (BODY_PATCH), the full copy's bytes
 *               (BODY_FULL, full-copy.ts), or nothing (BODY_NULL: a full copy of an unknown object)
 *
 * The store still compresses the value as a whole (LZ4 with the Kubernetes dictionary) past its
 * threshold, as it did the msgpack form.
 */
import { OPS, type Op } from '../../core/record.ts';
import type { JsonPatchOp } from '../../k8s/json-patch.ts';
import type { StoredRevision } from './keys.ts';

const TAG = 1;
const ACTOR = 4;
const VERB = 8;
const AUDIT_ID = 16;
const GAP = 32;
const BODY_PATCH = 0;
const BODY_FULL = 64;
const BODY_NULL = 128;
const BODY = 192;
const HEADER = 11;
/** A length whose string surely fits one byte (3 UTF-8 bytes at most per UTF-16 unit). */
const SHORT = 127 / 3;

/** Reused for every encoding (the result is copied out): values are built in one pass, their size unknown before. */
let scratch = Buffer.allocUnsafe(64 * 1024);

function ensure(n: number): void {
  if (n <= scratch.length) return;
  const bigger = Buffer.allocUnsafe(Math.max(n, scratch.length * 2));
  scratch.copy(bigger);
  scratch = bigger;
}

function writeString(s: string, at: number): number {
  if (s.length <= SHORT) {
    ensure(at + 1 + s.length * 3);
    const n = scratch.write(s, at + 1);
    scratch[at] = n;
    return at + 1 + n;
  }
  ensure(at + 5 + s.length * 3);
  const n = scratch.write(s, at + 5);
  scratch[at] = 128;
  scratch.writeUInt32LE(n, at + 1);
  return at + 5 + n;
}

export function encodeRevision(v: StoredRevision): Buffer {
  const op = OPS.indexOf(v.op);
  if (op < 0) throw new Error(`rev value: unknown op ${String(v.op)}`);
  if (!(v.depth >= 0 && v.depth < 256)) throw new Error(`rev value: depth ${v.depth} out of range`);
  let flags = op;
  if (v.actor !== undefined) flags |= ACTOR;
  if (v.verb !== undefined) flags |= VERB;
  if (v.auditID !== undefined) flags |= AUDIT_ID;
  if (v.gap) flags |= GAP;
  const body = v.obj === undefined ? BODY_PATCH : v.obj === null ? BODY_NULL : BODY_FULL;
  flags |= body;
  scratch[0] = TAG;
  scratch[1] = flags;
  scratch[2] = v.depth;
  scratch.writeDoubleLE(v.observedAt, 3);
  let at = writeString(v.source, HEADER);
  at = writeString(v.apiVersion, at);
  if (v.actor !== undefined) at = writeString(v.actor, at);
  if (v.verb !== undefined) at = writeString(v.verb, at);
  if (v.auditID !== undefined) at = writeString(v.auditID, at);
  if (body === BODY_FULL) {
    ensure(at + v.obj!.length);
    scratch.set(v.obj!, at);
    at += v.obj!.length;
  } else if (body === BODY_PATCH) {
    const text = JSON.stringify(v.patch);
    ensure(at + text.length * 3);
    at += scratch.write(text, at);
  }
  // A buffer of its own: lmdb-js writes it on its own thread, after this returns.
  const out = Buffer.allocUnsafe(at);
  scratch.copy(out, 0, 0, at);
  return out;
}

/** Node's UTF-8 decoding of a byte range, bounded by the view's own bytes (not its `length` property, which lmdb-js sets on its reused read buffers). */
type Utf8 = Buffer & { utf8Slice(start: number, end: number): string };

/**
 * `bytes` may be lmdb-js's reused read buffer (valid until the next read, `size` bytes long when
 * given): everything kept is copied out.
 */
export function decodeRevision(bytes: Uint8Array, size?: unknown): StoredRevision {
  const end = typeof size === 'number' ? size : bytes.length;
  const b = (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, end)) as Utf8;
  if (b[0] !== TAG) throw new Error(`rev value: unknown encoding ${b[0]}`);
  const flags = b[1]!;
  let at = HEADER;
  const str = (): string => {
    let n = b[at]!;
    at++;
    if (n >= 128) {
      n = b.readUInt32LE(at);
      at += 4;
    }
    const s = b.utf8Slice(at, at + n);
    at += n;
    return s;
  };
  const v: StoredRevision = { op: OPS[flags & 3] as Op, observedAt: b.readDoubleLE(3), source: str(), apiVersion: str(), depth: b[2]! };
  if (flags & ACTOR) v.actor = str();
  if (flags & VERB) v.verb = str();
  if (flags & AUDIT_ID) v.auditID = str();
  if (flags & GAP) v.gap = true;
  const body = flags & BODY;
  if (body === BODY_NULL) v.obj = null;
  else if (body === BODY_FULL) v.obj = new Uint8Array(b.subarray(at, end)); // a copy
  else v.patch = JSON.parse(b.utf8Slice(at, end)) as JsonPatchOp[];
  return v;
}

/** The rev database's encoder in a v7 store (lmdb-js `encoder`: values in, buffers out, and back). */
export const revisionEncoder = { encode: encodeRevision, decode: decodeRevision };
