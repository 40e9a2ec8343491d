/**
 * The byte format of snapshot parts: NDJSON, one `{"k":[gk,namespace,name],"r":record}` per
 * line, gzip-compressed, hashed with SHA-256 on the way in and on the way out.
 */
import { createHash } from 'node:crypto';
import { Readable, pipeline } from 'node:stream';
import type { Transform } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip, createGzip } from 'node:zlib';
import { KubetimeError } from '../core/errors.ts';
import { groupKind } from '../core/record.ts';
import type { Revision } from '../core/ports.ts';
import type { SnapshotFilter, SnapshotKey } from '../core/snapshot.ts';

/** The sort key of a record in a snapshot. */
export function recordKey(r: Pick<Revision, 'group' | 'kind' | 'namespace' | 'name'>): SnapshotKey {
  return [groupKind(r.group, r.kind), r.namespace, r.name];
}

export function encodeLine(key: SnapshotKey, r: Revision): string {
  return `{"k":${JSON.stringify(key)},"r":${JSON.stringify(r)}}\n`;
}

const SEPARATOR = '],"r":';

/**
 * Reads the key of a line without parsing the record. Inside a JSON string every `"` is
 * escaped, so the first `],"r":` is the end of the key array.
 */
export function lineKey(line: string): SnapshotKey {
  const end = line.indexOf(SEPARATOR);
  if (!line.startsWith('{"k":[') || end < 0) throw new KubetimeError('SNAPSHOT_INVALID', 'snapshot line has no key');
  return parse(line.slice(5, end + 1)) as SnapshotKey;
}

export function lineRecord(line: string): Revision {
  const end = line.indexOf(SEPARATOR);
  return parse(line.slice(end + SEPARATOR.length, line.length - 1)) as Revision;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new KubetimeError('SNAPSHOT_INVALID', `snapshot line is not valid JSON: ${(e as Error).message}`, {}, { cause: e });
  }
}

/** Is `key` past every key that can match `filter` (so a sorted reader may stop)? */
export function pastFilter(key: SnapshotKey, filter: SnapshotFilter): boolean {
  if (filter.gk === undefined) return false;
  if (key[0] !== filter.gk) return key[0] > filter.gk;
  return filter.namespace !== undefined && key[1] > filter.namespace;
}

/** Joins small lines into ~64 KiB strings, so the compressor sees few large writes. */
async function* coalesce(lines: AsyncIterable<string>): AsyncIterable<string> {
  let buf = '';
  for await (const l of lines) {
    buf += l;
    if (buf.length >= 65536) {
      yield buf;
      buf = '';
    }
  }
  if (buf) yield buf;
}

/** Gzips a stream of text. */
export function gzipText(lines: AsyncIterable<string>, level = 6): AsyncIterable<Uint8Array> {
  return through(Readable.from(coalesce(lines)), createGzip({ level }));
}

/** Pipes `source` into `transform` (errors and early exits propagate both ways) and returns it. */
function through(source: Readable, transform: Transform): AsyncIterable<Buffer> {
  pipeline(source, transform, () => {});
  return transform;
}

/** Gunzips bytes into lines (each line without its newline). */
export async function* gunzipLines(bytes: AsyncIterable<Uint8Array>): AsyncIterable<string> {
  const gunzip = through(Readable.from(bytes, { objectMode: false }), createGunzip());
  const decoder = new StringDecoder('utf8');
  let rest = '';
  try {
    for await (const chunk of gunzip) {
      const text = rest + decoder.write(chunk);
      const lines = text.split('\n');
      rest = lines.pop()!;
      for (const l of lines) if (l) yield l;
    }
  } catch (e) {
    if (e instanceof KubetimeError) throw e;
    throw new KubetimeError('SNAPSHOT_INVALID', `snapshot part is not valid gzip: ${(e as Error).message}`, {}, { cause: e });
  }
  rest += decoder.end();
  if (rest) throw new KubetimeError('SNAPSHOT_INVALID', 'snapshot part ends in the middle of a line');
}

/** What `tally` measured once its stream was consumed to the end. */
export interface Tally {
  bytes: number;
  /** Set when the stream ended (not when the consumer stopped early). */
  sha256?: string;
}

/** Passes bytes through while counting and hashing them. */
export function tally(bytes: AsyncIterable<Uint8Array>, into: Tally): AsyncIterable<Uint8Array> {
  return (async function* () {
    const hash = createHash('sha256');
    for await (const c of bytes) {
      hash.update(c);
      into.bytes += c.length;
      yield c;
    }
    into.sha256 = hash.digest('hex');
  })();
}

/** Reads a whole (small) blob as text. */
export async function readText(bytes: AsyncIterable<Uint8Array>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of bytes) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks).toString('utf8');
}

/** A byte stream of one buffer. */
export async function* bytesOf(text: string): AsyncIterable<Uint8Array> {
  yield Buffer.from(text, 'utf8');
}
