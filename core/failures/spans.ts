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
 * Follows one uid's revisions, oldest first, one at a time: what `spansOf` does over a list and
 * the failure index (failure-index.ts) does as records arrive. Only `prev`'s restart counts and
 * deletion mark are read, so a caller may keep a trimmed copy of it (`skeleton`).
 */
export class SpanTracker {
  readonly #detect: Detector;
  readonly #open = new Map<string, OpenSpan>();
  #prev: Revision | null = null;

  constructor(detect: Detector) {
    this.#detect = detect;
  }

  /** Takes the next revision; returns the spans it closed. */
  step(rev: Revision, keepPrev: (r: Revision) => Revision = (r) => r): RawSpan[] {
    const out: RawSpan[] = [];
    if (rev.op === 'DELETED' || !rev.object) {
      for (const s of this.#open.values()) out.push(close(s, rev.ts, 'deleted'));
      this.#open.clear();
      this.#prev = null;
      return out;
    }
    const reasons = new Map([...this.#open].map(([k, s]) => [k, s.reason]));
    const seen = new Set<string>();
    for (const f of this.#detect(rev.object, this.#prev?.object ?? null, reasons)) {
      seen.add(f.key);
      const s = this.#open.get(f.key);
      if (s) {
        s.reason = f.reason;
        s.evidence = { ...s.evidence, ...f.evidence };
        if (f.counter !== undefined) s.lastCounter = f.counter;
      } else {
        this.#open.set(f.key, { key: f.key, reason: f.reason, start: rev.ts, end: null, evidence: f.evidence, opened: rev, firstCounter: f.counter, lastCounter: f.counter });
      }
    }
    // A condition that stops as the object's deletion is requested ended by deletion, not recovery.
    const how = deletionRequested(rev, this.#prev) ? 'deleted' : 'recovered';
    for (const [k, s] of this.#open) {
      if (seen.has(k)) continue;
      out.push(close(s, rev.ts, how));
      this.#open.delete(k);
    }
    this.#prev = keepPrev(rev);
    return out;
  }

  /** The spans still open (ongoing). */
  ongoing(): RawSpan[] {
    return [...this.#open.values()].map((s) => close(s, Infinity, 'recovered'));
  }
}

/** Whether a span lasted long enough for its reason (an ongoing one measured up to `until`). */
export function longEnough(s: RawSpan, until: Micros, thresholds: Thresholds): boolean {
  return (s.end ?? Math.max(until, s.start)) - s.start >= minDuration(s.reason, thresholds);
}

/** What SpanTracker reads of a previous revision: restart counts and the deletion mark. */
export function skeleton(rev: Revision): Revision {
  const o = rev.object as { metadata?: { deletionTimestamp?: string }; status?: { containerStatuses?: { name: string; restartCount?: number }[] } } | null;
  const statuses = o?.status?.containerStatuses?.map((c) => ({ name: c.name, restartCount: c.restartCount }));
  return { ...rev, object: { metadata: { deletionTimestamp: o?.metadata?.deletionTimestamp }, status: { containerStatuses: statuses } } };
}

/**
 * Spans of one uid's revisions (ascending). Spans still open after the last revision are ongoing
 * (`end: null`). Spans shorter than their reason's threshold (see `minDuration`) are dropped;
 * an ongoing one is measured up to `until`.
 */
export function spansOf(revs: readonly Revision[], detect: Detector, opts: { until: Micros; thresholds: Thresholds }): RawSpan[] {
  const tracker = new SpanTracker(detect);
  const out = revs.flatMap((r) => tracker.step(r));
  out.push(...tracker.ongoing());
  return out.filter((s) => longEnough(s, opts.until, opts.thresholds));
}
