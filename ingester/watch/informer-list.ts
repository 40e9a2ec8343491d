/**
 * One list of an InformerSource (step 2 of its loop): the collection in pages, each reconciled
 * against the tracked state as it arrives (reconcile.ts) and written through a write window, so
 * a large list never sits in memory at once. The list's resourceVersion travels with the last
 * push, after the deletions only the complete list reveals, so the stream is checkpointed at it
 * once every record of the list is durable and never before. An expired continue token (410 in
 * mid-pagination) restarts the list from its first page.
 */
import type { Clock } from '../../core/time.ts';
import { resourcePath, selectorQuery, type InformerSourceOptions } from './informer-options.ts';
import { isGone, listPages } from './kube-api.ts';
import { Reconciler, type ReconcileStats } from './reconcile.ts';
import type { WriteWindow } from '../write/write-window.ts';

/** Attempts at one list whose continue token keeps expiring, before the error is the caller's. */
const MAX_ATTEMPTS = 3;

export interface ListOptions {
  source: InformerSourceOptions;
  /** What the list is reconciled against; `known` is updated as records are produced. */
  tracking: ConstructorParameters<typeof Reconciler>[0];
  clock: Clock;
  /** The source's stop signal: once it aborts, the list ends early, incomplete. */
  signal: AbortSignal;
  /** A new write window (one per attempt). */
  window: () => WriteWindow;
}

/** A complete list: its resourceVersion, and what reconciling it found. */
export interface Listed {
  resourceVersion: string;
  stats: ReconcileStats;
}

/**
 * Lists and reconciles; every record is durable when it returns. Undefined when the stop signal
 * cut the list short. Throws what failed it otherwise (a failed write as the window's error).
 */
export async function listAndReconcile(o: ListOptions): Promise<Listed | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await listOnce(o);
    } catch (e) {
      // An expired continue token (410 mid-pagination) restarts the list; anything else is the caller's.
      if (!isGone(e) || attempt >= MAX_ATTEMPTS) throw e;
    }
  }
}

async function listOnce(o: ListOptions): Promise<Listed | undefined> {
  const reconciler = new Reconciler(o.tracking);
  const window = o.window();
  let resourceVersion = '';
  const query = { ...selectorQuery(o.source), limit: o.source.listPageSize ?? 250 };
  for await (const page of listPages(o.source.api, resourcePath(o.source), query, o.signal)) {
    resourceVersion = page.resourceVersion;
    await window.push(reconciler.page(page.items, o.clock.now()));
  }
  if (o.signal.aborted) {
    await window.drain();
    return undefined;
  }
  const now = o.clock.now();
  await window.push(reconciler.finish(resourceVersion, now), { resourceVersion, at: now });
  await window.drain();
  return { resourceVersion, stats: reconciler.stats };
}
