/**
 * `kubetime import --audit-log FILE…`: kube-apiserver audit log files (one JSON Event per line,
 * as --audit-log-path writes them; gzip recognised by its magic bytes, whatever the name).
 * A line that is not JSON is counted and reported, never fatal.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { KubetimeError } from '../core/errors.ts';
import type { AuditSink } from './audit-sink.ts';

export interface ImportOptions {
  sink: AuditSink;
  files: readonly string[];
  cluster?: string;
  /** Events per durable write (default 2000). */
  batchSize?: number;
}

export interface ImportReport {
  files: number;
  lines: number;
  badLines: number;
  accepted: number;
  ignored: number;
}

async function isGzip(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(2);
    const { bytesRead } = await fh.read(buf, 0, 2, 0);
    return bytesRead === 2 && buf[0] === 0x1f && buf[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

async function lines(path: string): Promise<AsyncIterable<string>> {
  let stream: Readable;
  try {
    stream = createReadStream(path);
    if (await isGzip(path)) stream = stream.pipe(createGunzip());
  } catch (e) {
    throw new KubetimeError('INVALID_ARGUMENT', `--audit-log: cannot read ${path}`, { param: 'audit-log' }, { cause: e });
  }
  return createInterface({ input: stream, crlfDelay: Infinity });
}

export async function importAuditLogs(opts: ImportOptions): Promise<ImportReport> {
  const report: ImportReport = { files: 0, lines: 0, badLines: 0, accepted: 0, ignored: 0 };
  const batchSize = opts.batchSize ?? 2000;
  let batch: unknown[] = [];
  const flush = async () => {
    if (!batch.length) return;
    const r = await opts.sink.ingestEvents(batch, opts.cluster);
    report.accepted += r.accepted;
    report.ignored += r.ignored;
    batch = [];
  };
  for (const file of opts.files) {
    report.files++;
    for await (const line of await lines(file)) {
      if (!line.trim()) continue;
      report.lines++;
      try {
        batch.push(JSON.parse(line));
      } catch {
        report.badLines++;
        continue;
      }
      if (batch.length >= batchSize) await flush();
    }
  }
  await flush();
  return report;
}
