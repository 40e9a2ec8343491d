/**
 * Watch events → change records, pure. Applies the dedupe rule (a revision already tracked —
 * same uid, same or older resourceVersion — is not written again, and the tracked state never
 * goes back to it; nor is a revision listed in `stored`, the replay of a resumed watch), keeps the
 * tracked state, and tells the caller where the stream stands (last resourceVersion, 410, errors).
 */
import { revisionId, type ChangeRecord, type Op } from '../../core/record.ts';
import type { Micros } from '../../core/time.ts';
import { KubeApiError, isGone, type WatchEvent } from './kube-api.ts';
import { buildRecord, identityOf, isNewerRv, type RecordContext, type TrackedMap } from '../records.ts';

export interface EventsInput {
  known: TrackedMap;
  ctx: RecordContext;
  /** The resourceVersion the stream is at before these events. */
  rv: string;
  now: Micros;
  inScope?: (namespace: string) => boolean;
  intern?: (s: string) => string;
  /** revisionId()s already in the store that the tracked state does not cover (resume.ts). */
  stored?: ReadonlySet<string>;
}

export interface EventsResult {
  /** Records to write, in stream order (also those before an ERROR event). */
  records: ChangeRecord[];
  /** The resourceVersion after these events (objects and bookmarks). */
  rv: string;
  /** Whether any event moved the stream on (a change or a bookmark). */
  progressed: boolean;
  /** The server ended the watch with 410: the caller must relist. */
  gone: boolean;
  /** Any other ERROR event; events after it were not looked at. */
  error?: KubeApiError;
  /** Events that could not be used, by reason. */
  dropped: Record<string, number>;
}

function errorOf(object: unknown): KubeApiError {
  const status = object as { code?: unknown; reason?: unknown; message?: unknown } | null;
  const code = typeof status?.code === 'number' ? status.code : 0;
  const reason = typeof status?.reason === 'string' ? status.reason : undefined;
  return new KubeApiError(`watch error: ${String(status?.message ?? code)}`, { status: code, ...(reason ? { reason } : {}) });
}

/** Turns one batch of watch events into records, updating `known`. */
export function recordsOfEvents(events: readonly WatchEvent[], input: EventsInput): EventsResult {
  const { known, ctx, now } = input;
  const inScope = input.inScope ?? (() => true);
  const intern = input.intern ?? ((s: string) => s);
  const res: EventsResult = { records: [], rv: input.rv, progressed: false, gone: false, dropped: {} };
  const drop = (reason: string) => {
    res.dropped[reason] = (res.dropped[reason] ?? 0) + 1;
  };
  for (const ev of events) {
    if (ev.type === 'ERROR') {
      const err = errorOf(ev.object);
      if (isGone(err)) res.gone = true;
      else res.error = err;
      return res;
    }
    if (ev.type === 'BOOKMARK') {
      const rv = (ev.object as { metadata?: { resourceVersion?: unknown } } | null)?.metadata?.resourceVersion;
      if (typeof rv === 'string' && rv) res.rv = rv;
      res.progressed = true;
      continue;
    }
    const id = identityOf(ev.object);
    if (!id) {
      drop(ev.type === 'MALFORMED' ? 'malformed' : 'no_identity');
      continue;
    }
    if (ev.type !== 'ADDED' && ev.type !== 'MODIFIED' && ev.type !== 'DELETED') {
      drop('unknown_type');
      continue;
    }
    res.progressed = true;
    res.rv = id.rv;
    if (!inScope(id.namespace)) continue;
    if (input.stored?.has(revisionId({ cluster: ctx.cluster, uid: id.uid, resourceVersion: id.rv, op: ev.type as Op }))) {
      if (ev.type === 'DELETED') known.delete(id.uid);
      continue; // recorded before a restart; replayed because the checkpoint lagged the store
    }
    const prev = known.get(id.uid);
    if (ev.type === 'DELETED') {
      known.delete(id.uid);
      res.records.push(buildRecord(ctx, { op: 'DELETED', source: 'watch', id, object: ev.object, now }));
      continue;
    }
    if (prev && !isNewerRv(id.rv, prev.rv)) continue; // this revision is recorded already
    known.set(id.uid, { rv: id.rv, namespace: intern(id.namespace), name: id.name });
    res.records.push(buildRecord(ctx, { op: prev && !prev.replay ? 'MODIFIED' : ev.type, source: 'watch', id, object: ev.object, now }));
  }
  return res;
}
