/**
 * `kubetime import --audit-log FILE…`: kube-apiserver audit log files (one JSON Event per line,
 * as --audit-log-path writes them; gzip recognised by its magic bytes, whatever the name).
 *
 * What goes wrong is reported per file and never crashes the import (docs/hardening.md):
 * - a file that is missing or unreadable, or breaks off (a truncated .gz), is a failure naming
 *   the file and its cause. The events read from it before the break are complete lines and
 *   are stored: the failure says how many (`eventsBefore`, `acceptedBefore`). Later files are
 *   still imported.
 * - a file none of whose lines is an audit event (random bytes, another JSON log) is a failure
 *   too ("not an audit log"), with nothing stored from it;
 * - lines that are not JSON or not audit events are counted (`badLines`), and audit events
 *   refused as implausible (ingester/audit/plausibility.ts) are counted in `refused`.
 * The command exits non-zero whenever a file failed or anything was refused.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { pipeline, type Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import type { AuditSink } from './audit-sink.ts';

export interface ImportOptions {
  sink: AuditSink;
  files: readonly string[];
  cluster?: string;
  /** Events per durable write (default 2000). */
  batchSize?: number;
}

/** A file that could not be read to its end. */
export interface ImportFailure {
  file: string;
  /** One line: why (e.g. `no such file`, `unexpected end of file (truncated gzip?)`, `not an audit log`). */
  reason: string;
  /** Audit events of this file read (and stored as changes, `acceptedBefore`) before the failure. */
  eventsBefore: number;
  acceptedBefore: number;
}

export interface ImportReport {
  files: number;
  lines: number;
  /** Lines that are not JSON, or JSON that is not an audit event. */
  badLines: number;
  accepted: number;
  ignored: number;
  /** Audit records refused as implausible for their revision. */
  refused: number;
  failures: ImportFailure[];
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

/** The file's lines; a read or gunzip error ends the iteration by throwing it. */
async function* lines(path: string): AsyncIterable<string> {
  const gzip = await isGzip(path); // a missing or unreadable file throws here, before any stream
  const source = createReadStream(path);
  const stream: Readable = gzip ? pipeline(source, createGunzip(), () => {}) : source;
  const decoder = new StringDecoder('utf8');
  let rest = '';
  for await (const chunk of stream) {
    const text = rest + decoder.write(chunk as Buffer);
    const parts = text.split('\n');
    rest = parts.pop()!;
    yield* parts;
  }
  rest += decoder.end();
  if (rest) yield rest;
}

/** Whether a parsed line is an audit.k8s.io Event. */
function isAuditEvent(v: unknown): boolean {
  const o = v as { kind?: unknown; apiVersion?: unknown } | null;
  return typeof o === 'object' && o !== null && o.kind === 'Event' && typeof o.apiVersion === 'string' && o.apiVersion.startsWith('audit.k8s.io/');
}

function reasonOf(e: unknown): string {
  const err = e as { code?: string; message?: string };
  if (err.code === 'ENOENT') return 'no such file';
  if (err.code === 'EACCES' || err.code === 'EPERM') return 'permission denied';
  if (err.code === 'EISDIR') return 'is a directory';
  if (err.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(err.message ?? '')) return 'unexpected end of file (truncated gzip?)';
  if (err.code?.startsWith('Z_')) return `not a valid gzip stream (${err.message ?? err.code})`;
  return (err.message ?? String(e)).split('\n')[0]!;
}

export async function importAuditLogs(opts: ImportOptions): Promise<ImportReport> {
  const report: ImportReport = { files: 0, lines: 0, badLines: 0, accepted: 0, ignored: 0, refused: 0, failures: [] };
  const batchSize = opts.batchSize ?? 2000;
  for (const file of opts.files) {
    report.files++;
    let batch: unknown[] = [];
    let events = 0;
    let accepted = 0;
    let nonEmpty = 0;
    const flush = async () => {
      if (!batch.length) return;
      const r = await opts.sink.ingestEvents(batch, opts.cluster);
      accepted += r.accepted;
      report.accepted += r.accepted;
      report.ignored += r.ignored;
      report.refused += r.refused ?? 0;
      batch = [];
    };
    try {
      for await (const line of lines(file)) {
        if (!line.trim()) continue;
        report.lines++;
        nonEmpty++;
        let event: unknown;
        try {
          event = JSON.parse(line);
        } catch {
          report.badLines++;
          continue;
        }
        if (!isAuditEvent(event)) {
          report.badLines++;
          continue;
        }
        events++;
        batch.push(event);
        if (batch.length >= batchSize) await flush();
      }
      await flush();
      if (nonEmpty > 0 && events === 0) report.failures.push({ file, reason: 'not an audit log (no line is an audit.k8s.io Event)', eventsBefore: 0, acceptedBefore: 0 });
    } catch (e) {
      // The complete lines read before the break are stored; the failure says how many.
      await flush();
      report.failures.push({ file, reason: reasonOf(e), eventsBefore: events, acceptedBefore: accepted });
    }
  }
  return report;
}
