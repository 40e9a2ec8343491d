/**
 * SpoolFile: an append-only, fsync'ed queue of record batches on local disk, drained in order.
 *
 * Layout under `dir`:
 * - `seg-<seq>.ndjson`: one batch per line, `<record count>\t<JSON array of records>\n`. A new
 *   segment starts when the current one exceeds `segmentBytes`; drained segments are deleted.
 * - `cursor.json`: `{"seq": n, "offset": bytes}`, the first batch not yet drained. Written after
 *   each drained batch (atomically, by rename); a crash before that re-drains one batch, which
 *   the store's idempotent append absorbs.
 * On open, a torn last line (a crash mid-append) is cut off; a line that does not parse is
 * skipped with a warning when read.
 */
import { mkdir, open, readdir, readFile, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChangeRecord } from '../../core/record.ts';
import { fsyncDir } from './durable-file.ts';

const SEGMENT = /^seg-(\d{12})\.ndjson$/;
const segName = (seq: number) => `seg-${String(seq).padStart(12, '0')}.ndjson`;

/** One batch read from the spool; `commit()` marks it drained. */
export interface SpooledBatch {
  records: ChangeRecord[];
  /** Records the line said it holds (also for a corrupt line, which yields none). */
  count: number;
  /** Bytes of the line; `corrupt` when it did not parse (records is then empty). */
  bytes: number;
  corrupt: boolean;
  seq: number;
  /** Offset just after this batch. */
  end: number;
}

export class SpoolFile {
  readonly #dir: string;
  readonly #segmentBytes: number;
  /** Sequence numbers of the segments on disk, oldest first. */
  #segments: number[] = [];
  #writer: { seq: number; fh: FileHandle; size: number } | undefined;
  #read = { seq: 0, offset: 0 };
  #appending: Promise<void> = Promise.resolve();
  #appendsInFlight = 0;
  #nextSeq = 1;
  pendingRecords = 0;
  pendingBytes = 0;

  private constructor(dir: string, segmentBytes: number) {
    this.#dir = dir;
    this.#segmentBytes = segmentBytes;
  }

  /** Opens (and recovers) the spool in `dir`, creating it when missing. */
  static async open(opts: { dir: string; segmentBytes?: number }): Promise<SpoolFile> {
    const spool = new SpoolFile(opts.dir, opts.segmentBytes ?? 64 * 1024 * 1024);
    await mkdir(opts.dir, { recursive: true });
    await spool.#recover();
    return spool;
  }

  get isEmpty(): boolean {
    return this.pendingBytes === 0 && this.#appendsInFlight === 0;
  }

  async #recover(): Promise<void> {
    const seqs = (await readdir(this.#dir)).map((f) => SEGMENT.exec(f)?.[1]).filter((s): s is string => !!s).map(Number).sort((a, b) => a - b);
    let cursor = { seq: seqs[0] ?? 0, offset: 0 };
    try {
      const c = JSON.parse(await readFile(join(this.#dir, 'cursor.json'), 'utf8')) as { seq?: unknown; offset?: unknown };
      if (typeof c.seq === 'number' && typeof c.offset === 'number') cursor = { seq: c.seq, offset: c.offset };
    } catch {
      // no cursor: nothing drained yet
    }
    for (const seq of seqs) {
      if (seq < cursor.seq) {
        await rm(join(this.#dir, segName(seq)), { force: true });
        continue;
      }
      await this.#scanSegment(seq, seq === cursor.seq ? cursor.offset : 0);
      this.#segments.push(seq);
    }
    this.#nextSeq = (seqs.at(-1) ?? 0) + 1;
    const first = this.#segments[0];
    this.#read = first === undefined ? { seq: 0, offset: 0 } : { seq: first, offset: first === cursor.seq ? cursor.offset : 0 };
  }

  /** Counts pending batches of a segment from `from` and cuts a torn tail. */
  async #scanSegment(seq: number, from: number): Promise<void> {
    const path = join(this.#dir, segName(seq));
    const data = await readFile(path);
    const lastNl = data.lastIndexOf(10);
    const complete = lastNl + 1;
    if (complete < data.length) await writeFile(path, data.subarray(0, complete));
    let pos = Math.min(from, complete);
    while (pos < complete) {
      const nl = data.indexOf(10, pos);
      const tab = data.indexOf(9, pos);
      const n = tab > pos && tab < nl ? Number(data.toString('latin1', pos, tab)) : 0;
      this.pendingRecords += Number.isFinite(n) ? n : 0;
      this.pendingBytes += nl + 1 - pos;
      pos = nl + 1;
    }
  }

  /** Appends one batch durably (written and fsync'ed) before resolving. Appends are serialised. */
  append(records: readonly ChangeRecord[]): Promise<void> {
    const line = Buffer.from(`${records.length}\t${JSON.stringify(records)}\n`, 'utf8');
    this.#appendsInFlight++;
    const run = this.#appending.then(() => this.#appendLine(line, records.length));
    this.#appending = run.catch(() => {});
    return run.finally(() => {
      this.#appendsInFlight--;
    });
  }

  async #appendLine(line: Buffer, count: number): Promise<void> {
    if (!this.#writer || this.#writer.size >= this.#segmentBytes) await this.#rotate();
    const w = this.#writer!;
    try {
      await w.fh.write(line, 0, line.length, w.size);
      await w.fh.datasync();
    } catch (e) {
      // A partial write would corrupt the next line: cut back to the last complete batch.
      await w.fh.truncate(w.size).catch(() => {});
      throw e;
    }
    w.size += line.length;
    this.pendingRecords += count;
    this.pendingBytes += line.length;
  }

  async #rotate(): Promise<void> {
    await this.#writer?.fh.close();
    const seq = this.#nextSeq++;
    const fh = await open(join(this.#dir, segName(seq)), 'a+');
    const { size } = await fh.stat();
    this.#writer = { seq, fh, size };
    this.#segments.push(seq);
    if (this.#segments.length === 1) this.#read = { seq, offset: 0 };
    await fsyncDir(this.#dir);
  }

  /** The oldest undrained batch, or undefined when everything written so far is drained. */
  async peek(): Promise<SpooledBatch | undefined> {
    for (;;) {
      const seq = this.#read.seq;
      if (!this.#segments.includes(seq)) return undefined;
      const line = await readLine(join(this.#dir, segName(seq)), this.#read.offset);
      if (line) return parseBatch(line.text, seq, line.end, line.bytes);
      // End of this segment: move on when a newer one exists, else nothing more to read.
      const i = this.#segments.indexOf(seq);
      const next = this.#segments[i + 1];
      if (next === undefined) return undefined;
      this.#segments.splice(i, 1);
      this.#read = { seq: next, offset: 0 };
      await rm(join(this.#dir, segName(seq)), { force: true });
    }
  }

  /** Marks `batch` drained (it must be the batch `peek` returned last). */
  async commit(batch: SpooledBatch): Promise<void> {
    this.#read = { seq: batch.seq, offset: batch.end };
    this.pendingRecords = Math.max(0, this.pendingRecords - batch.count);
    this.pendingBytes = Math.max(0, this.pendingBytes - batch.bytes);
    const tmp = join(this.#dir, 'cursor.json.tmp');
    await writeFile(tmp, JSON.stringify(this.#read));
    await rename(tmp, join(this.#dir, 'cursor.json'));
  }

  /**
   * When everything is drained and no append is running, deletes the segments (the next append
   * starts a new one) and returns true; otherwise false.
   */
  async resetIfDrained(): Promise<boolean> {
    if (!this.isEmpty) return false;
    const old = this.#segments;
    const writer = this.#writer;
    this.#segments = [];
    this.#writer = undefined;
    this.#read = { seq: 0, offset: 0 };
    this.pendingRecords = 0;
    await writer?.fh.close().catch(() => {});
    for (const seq of old) await rm(join(this.#dir, segName(seq)), { force: true });
    await rm(join(this.#dir, 'cursor.json'), { force: true });
    return true;
  }

  /** Waits for running appends. */
  async idle(): Promise<void> {
    await this.#appending;
  }

  async close(): Promise<void> {
    await this.#appending;
    await this.#writer?.fh.close().catch(() => {});
    this.#writer = undefined;
  }
}

/** Reads the complete line starting at `offset`, or undefined at the end of the data. */
async function readLine(path: string, offset: number): Promise<{ text: string; end: number; bytes: number } | undefined> {
  const fh = await open(path, 'r');
  try {
    const chunks: Buffer[] = [];
    let pos = offset;
    for (;;) {
      const buf = Buffer.allocUnsafe(1024 * 1024);
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) return undefined;
      const nl = buf.subarray(0, bytesRead).indexOf(10);
      if (nl >= 0) {
        chunks.push(buf.subarray(0, nl));
        const bytes = pos + nl + 1 - offset;
        return { text: Buffer.concat(chunks).toString('utf8'), end: offset + bytes, bytes };
      }
      chunks.push(buf.subarray(0, bytesRead));
      pos += bytesRead;
    }
  } finally {
    await fh.close();
  }
}

function parseBatch(text: string, seq: number, end: number, bytes: number): SpooledBatch {
  const tab = text.indexOf('\t');
  const count = tab > 0 ? Number(text.slice(0, tab)) || 0 : 0;
  try {
    const records = JSON.parse(text.slice(tab + 1)) as unknown;
    if (tab > 0 && Array.isArray(records)) return { records: records as ChangeRecord[], count: records.length, bytes, corrupt: false, seq, end };
  } catch {
    // reported as corrupt below
  }
  return { records: [], count, bytes, corrupt: true, seq, end };
}
