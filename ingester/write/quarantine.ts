/**
 * Quarantine: where records the store cannot take go (core/record-limits.ts: a broken record, an
 * object nested too deep or too large). Such a record never fails its batch, is never retried and
 * never blocks the spool: it is set aside in `<data-dir>/quarantine/records.ndjson` (one JSON line
 * each: when, why, the record's identity, and its object cut to QUARANTINE_DEPTH levels when it
 * is small enough), counted in `kubetime_ingest_quarantined_records_total{reason}` and logged.
 *
 * The file is bounded (`maxBytes`, default 64 MiB): past it, records are still counted and
 * logged but no longer written, so a flood of bad records cannot fill the disk.
 */
import { appendFile, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { unstorable, type Unstorable } from '../../core/record-limits.ts';
import type { ChangeRecord } from '../../core/record.ts';
import type { IngestMetrics } from '../metrics.ts';

/** Levels of a quarantined object kept in the file; deeper values become a marker. */
export const QUARANTINE_DEPTH = 16;
const MAX_OBJECT_LINE = 256 * 1024;

/** One record set aside and why. */
export interface QuarantineEntry {
  record: ChangeRecord;
  /** `invalid`, `depth`, `size`, `scope` (core/record-limits.ts), or another store error code. */
  reason: string;
  message: string;
}

/** What the write path needs of a quarantine (SpoolingWriter). */
export interface RecordQuarantine {
  put(entries: readonly QuarantineEntry[]): Promise<void>;
}

export interface QuarantineOptions {
  /** Folder of the quarantine file, e.g. `<data-dir>/quarantine` (created 0700 when missing). */
  dir: string;
  logger?: Logger;
  metrics?: IngestMetrics;
  /** Largest quarantine file in bytes (default 64 MiB). */
  maxBytes?: number;
  now?: () => Date;
}

/** The records among `records` the store would refuse, and the rest. */
export function partitionStorable(records: readonly ChangeRecord[]): { storable: ChangeRecord[]; refused: QuarantineEntry[] } {
  const storable: ChangeRecord[] = [];
  const refused: QuarantineEntry[] = [];
  for (const record of records) {
    const why: Unstorable | undefined = unstorable(record);
    if (why) refused.push({ record, reason: why.reason, message: why.message });
    else storable.push(record);
  }
  return { storable, refused };
}

/** `value` with everything below `depth` levels replaced by a marker (recursion bounded by `depth`). */
export function cut(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (depth <= 0) return '[cut: nested deeper]';
  if (Array.isArray(value)) return value.map((v) => cut(v, depth - 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cut(v, depth - 1)]));
}

/** The quarantine file (module comment). */
export class Quarantine implements RecordQuarantine {
  readonly #opts: QuarantineOptions;
  readonly #path: string;
  #bytes: number | undefined;
  #last: Promise<void> = Promise.resolve();

  constructor(opts: QuarantineOptions) {
    this.#opts = opts;
    this.#path = join(opts.dir, 'records.ndjson');
  }

  get path(): string {
    return this.#path;
  }

  /** Sets the entries aside; never rejects (a quarantine that cannot write still counts and logs). */
  put(entries: readonly QuarantineEntry[]): Promise<void> {
    if (!entries.length) return Promise.resolve();
    for (const e of entries) {
      const r = e.record;
      this.#opts.metrics?.quarantinedTotal.inc({ reason: e.reason });
      this.#opts.logger?.error({
        reason: e.reason, err: e.message, cluster: r.cluster, kind: r.kind, namespace: r.namespace, name: r.name,
        uid: r.uid, resourceVersion: r.resourceVersion, source: r.source, file: this.#path,
      }, 'record quarantined: the store cannot take it');
    }
    this.#last = this.#last.then(() => this.#write(entries));
    return this.#last;
  }

  async #write(entries: readonly QuarantineEntry[]): Promise<void> {
    try {
      await mkdir(this.#opts.dir, { recursive: true, mode: 0o700 });
      this.#bytes ??= await stat(this.#path).then((s) => s.size, () => 0);
      const text = entries.map((e) => this.#line(e)).join('');
      const max = this.#opts.maxBytes ?? 64 * 1024 * 1024;
      if (this.#bytes + text.length > max) {
        this.#opts.logger?.warn({ file: this.#path, maxBytes: max }, 'quarantine file full; quarantined records are counted and logged only');
        return;
      }
      await appendFile(this.#path, text, { mode: 0o600 });
      this.#bytes += Buffer.byteLength(text);
    } catch (err) {
      this.#opts.logger?.warn({ err, file: this.#path }, 'writing the quarantine file failed; the records are counted and logged only');
    }
  }

  #line(e: QuarantineEntry): string {
    const { object, ...identity } = e.record;
    const head = { quarantinedAt: (this.#opts.now?.() ?? new Date()).toISOString(), reason: e.reason, message: e.message, ...identity };
    const full = e.reason === 'size' ? undefined : JSON.stringify({ ...head, object: cut(object, QUARANTINE_DEPTH) });
    return `${full && full.length <= MAX_OBJECT_LINE ? full : JSON.stringify({ ...head, object: null, objectOmitted: true })}\n`;
  }
}
