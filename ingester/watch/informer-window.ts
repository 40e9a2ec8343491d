/**
 * The write windows of an InformerSource (write-window.ts), set up the way its loop needs them:
 * every written batch is counted by where it came from (relist or watch) and handed to
 * `onRecords`; each durable mark becomes the stream's checkpoint; a failed write surfaces as
 * WriteFailed, which tells the loop that its tracked state is in doubt.
 */
import type { ChangeRecord } from '../../core/record.ts';
import type { InformerSourceOptions } from './informer-options.ts';
import type { IngestMetrics } from '../metrics.ts';
import { WriteWindow, type DurableMark } from '../write/write-window.ts';

/** Thrown inside the loop when a write failed: the tracked state is in doubt. */
export class WriteFailed extends Error {}

/**
 * A new write window for the source whose stream is checkpointed under `key`. `onError` is called
 * as soon as a write fails (a watch stops reading with it).
 */
export function sourceWindow(o: InformerSourceOptions, key: string, onError?: () => void): WriteWindow {
  return new WriteWindow({
    ...(onError ? { onError } : {}),
    writer: o.writer,
    maxRecords: o.maxInflightRecords ?? 1000,
    ...(o.checkpoints ? { onDurable: (mark: DurableMark) => o.checkpoints!.set(key, mark) } : {}),
    onWritten: (records) => {
      if (o.metrics) countWritten(o.metrics, records);
      o.onRecords?.(records);
    },
    failure: (e) => new WriteFailed(`write failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e }),
  });
}

function countWritten(m: IngestMetrics, records: readonly ChangeRecord[]): void {
  const relist = records.reduce((n, r) => n + (r.source === 'relist' ? 1 : 0), 0);
  if (relist) m.recordsTotal.inc({ source: 'relist' }, relist);
  if (records.length > relist) m.recordsTotal.inc({ source: 'watch' }, records.length - relist);
}
