/**
 * From the revisions of one object (one uid, commit order) to spans of broken state: a condition
 * opens at the first revision showing it and closes at the first revision without it (the object
 * recovered) or at the object's deletion. Pure.
 */
import type { Revision } from '../ports.ts';
import type { Micros } from '../time.ts';
import { minDuration, type Detector, type Thresholds } from './conditions.ts';
import type { Evidence, FailureReason } from './types.ts';

/** A span before suspects and scope: which condition (`key`) of which revision. */
export interface RawSpan {
  key: string;
  reason: FailureReason;
  start: Micros;
  end: Micros | null;
  ended?: 'recovered' | 'deleted';
  evidence: Evidence;
  /** The revision that opened it (its object is the state the span began in). */
  opened: Revision;
}

interface OpenSpan extends RawSpan {
  firstCounter?: number;
  lastCounter?: number;
}

function close(s: OpenSpan, at: Micros, how: 'recovered' | 'deleted'): RawSpan {
  const { firstCounter, lastCounter, ...span } = s;
  if (firstCounter !== undefined) span.evidence = { ...span.evidence, restarts: lastCounter! - firstCounter + 1 };
  return at === Infinity ? span : { ...span, end: at, ended: how };
}

function deletionRequested(rev: Revision, prev: Revision | null): boolean {
  const at = (r: Revision | null) => (r?.object?.metadata as { deletionTimestamp?: string } | undefined)?.deletionTimestamp;
  return !!at(rev) && !at(prev);
}

/**
 * Spans of one uid's revisions (ascending). Spans still open after the last revision are ongoing
 * (`end: null`). Spans shorter than their reason's threshold (see `minDuration`) are dropped;
 * an ongoing one is measured up to `until`.
 */
export function spansOf(revs: readonly Revision[], detect: Detector, opts: { until: Micros; thresholds: Thresholds }): RawSpan[] {
  const open = new Map<string, OpenSpan>();
  const out: RawSpan[] = [];
  let prev: Revision | null = null;
  for (const rev of revs) {
    if (rev.op === 'DELETED' || !rev.object) {
      for (const s of open.values()) out.push(close(s, rev.ts, 'deleted'));
      open.clear();
      prev = null;
      continue;
    }
    const reasons = new Map([...open].map(([k, s]) => [k, s.reason]));
    const found = detect(rev.object, prev?.object ?? null, reasons);
    const seen = new Set<string>();
    for (const f of found) {
      seen.add(f.key);
      const s = open.get(f.key);
      if (s) {
        s.reason = f.reason;
        s.evidence = { ...s.evidence, ...f.evidence };
        if (f.counter !== undefined) s.lastCounter = f.counter;
      } else {
        open.set(f.key, { key: f.key, reason: f.reason, start: rev.ts, end: null, evidence: f.evidence, opened: rev, firstCounter: f.counter, lastCounter: f.counter });
      }
    }
    // A condition that stops as the object's deletion is requested ended by deletion, not recovery.
    const how = deletionRequested(rev, prev) ? 'deleted' : 'recovered';
    for (const [k, s] of open) {
      if (seen.has(k)) continue;
      out.push(close(s, rev.ts, how));
      open.delete(k);
    }
    prev = rev;
  }
  for (const s of open.values()) out.push(close(s, Infinity, 'recovered'));
  return out.filter((s) => (s.end ?? Math.max(opts.until, s.start)) - s.start >= minDuration(s.reason, opts.thresholds));
}
