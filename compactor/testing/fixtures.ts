/**
 * Shared set-up for compactor tests: a manual clock, a silent logger, a store filled with
 * generated history, and helpers to compare as-of answers.
 */
import pino from 'pino';
import type { Logger } from 'pino';
import type { HistoryStore, Revision } from '../../core/ports.ts';
import { liveRevisionsAt } from '../../core/snapshot.ts';
import type { AsOfScope } from '../../core/snapshot.ts';
import type { Clock, Micros } from '../../core/time.ts';
import { parseRfc3339 } from '../../core/time.ts';
import { generateHistory } from './generate.ts';
import type { GenerateOptions } from './generate.ts';
import { MemoryHistoryStore } from './memory-history-store.ts';

export const T0: Micros = parseRfc3339('2026-01-10T00:00:00Z')!;
export const MINUTE = 60_000_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** A clock the test moves by hand. */
export class ManualClock implements Clock {
  t: Micros;
  constructor(t: Micros = T0) {
    this.t = t;
  }
  now(): Micros {
    return this.t;
  }
  advance(d: Micros): void {
    this.t += d;
  }
}

export const silentLogger: Logger = pino({ level: 'silent' });

/** Appends generated history to `store` (a new MemoryHistoryStore by default). */
export async function filledStore(o: Partial<GenerateOptions> & { store?: HistoryStore } = {}): Promise<HistoryStore> {
  const store = o.store ?? new MemoryHistoryStore();
  const opts: GenerateOptions = { start: T0, objects: 300, changes: 1500, span: 6 * HOUR, namespaces: 6, padding: 20, ...o };
  for (const batch of generateHistory(opts)) await store.append(batch);
  return store;
}

/** A stable, comparable form of an as-of answer: one line per object. */
export function fingerprint(revs: Iterable<Revision>): string[] {
  return [...revs].map((r) => `${r.kind}.${r.group}/${r.namespace}/${r.name} uid=${r.uid} rv=${r.resourceVersion} ts=${r.ts} ${JSON.stringify(r.object)}`).sort();
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** The direct as-of answer (lifetimes + latest revision), as a fingerprint. */
export async function directAnswer(store: HistoryStore, scope: AsOfScope): Promise<string[]> {
  return fingerprint(await collect(liveRevisionsAt(store, scope)));
}
