/**
 * One watch of an InformerSource (step 3 of its loop): from a resourceVersion, with bookmarks,
 * and with a server-side timeout drawn at random from a range, so watches opened together do not
 * all expire together. A watchdog (watchdog.ts) cuts a watch gone silent; a failed write ends it
 * at once, the tracked state being in doubt until reconciled. Each batch of events goes to the
 * caller, which writes its records through the watch's write window.
 */
import { resourcePath, selectorQuery, type InformerSourceOptions } from './informer-options.ts';
import { WriteFailed } from './informer-window.ts';
import type { Query, WatchEvent } from './kube-api.ts';
import type { Timing } from '../timing.ts';
import { Watchdog } from './watchdog.ts';
import type { WriteWindow } from '../write/write-window.ts';

/** How a watch ended: the server closed it, the watchdog cut it, 410 Gone, or the source stopped. */
export type WatchEnd = 'closed' | 'stalled' | 'gone' | 'stopped';

/** What one batch of events did to the stream. */
export interface BatchResult {
  /** The stream moved on (a change or a bookmark). */
  progressed: boolean;
  /** The server ended the watch with 410: the source must list. */
  gone: boolean;
}

export interface WatchOptions {
  source: InformerSourceOptions;
  timing: Timing;
  /** Where the watch starts. */
  resourceVersion: string;
  /** The source's stop signal: once it aborts, the watch ends `stopped`. */
  signal: AbortSignal;
  /** A new write window that calls `onError` as soon as a write fails. */
  window: (onError: () => void) => WriteWindow;
  /** Writes the records of one batch through `window`. */
  onBatch: (events: readonly WatchEvent[], window: WriteWindow) => Promise<BatchResult>;
  /** Called when the watchdog cut a silent watch. */
  onStalled?: () => void;
}

/** How the watch ended, and whether the stream moved on while it ran. */
export interface WatchOutcome {
  end: WatchEnd;
  progressed: boolean;
}

/** A watch that ran this long and closed normally counts as progress (a quiet resource), µs. */
const QUIET_RUN_MICROS = 10e6;

/**
 * Runs one watch until it ends, with every record handed to its window durable; throws what
 * ended it otherwise (WriteFailed for a failed write, the API's error for a failed watch).
 */
export async function watchOnce(o: WatchOptions): Promise<WatchOutcome> {
  const query = watchQuery(o);
  const ctl = new AbortController();
  const onStop = () => ctl.abort();
  o.signal.addEventListener('abort', onStop, { once: true });
  const startedAt = o.timing.clock.now();
  const dog = new Watchdog({ timing: o.timing, limitMs: o.source.watchdogMs ?? 180_000, ctl });
  // A failed write ends the watch at once: the tracked state is in doubt until reconciled.
  const window = o.window(() => ctl.abort());
  let progressed = false;
  let end: WatchEnd = 'closed';
  try {
    for await (const batch of o.source.api.watch(resourcePath(o.source), query, ctl.signal)) {
      dog.busy();
      const r = await o.onBatch(batch, window);
      progressed ||= r.progressed;
      dog.idle();
      if (r.gone) {
        end = 'gone';
        break;
      }
    }
    await window.drain();
  } catch (e) {
    await window.drain().catch((writeError: unknown) => {
      if (!o.signal.aborted) throw writeError;
    });
    if (e instanceof WriteFailed) throw e;
    if (o.signal.aborted) end = 'stopped';
    else if (dog.stalled) end = 'stalled';
    else throw e;
  } finally {
    o.signal.removeEventListener('abort', onStop);
    ctl.abort();
    await dog.done;
  }
  if (end === 'stalled') o.onStalled?.();
  // A quiet resource whose watch simply ran its course is not failing.
  progressed ||= end === 'closed' && o.timing.clock.now() - startedAt >= QUIET_RUN_MICROS;
  return { end: o.signal.aborted ? 'stopped' : end, progressed };
}

/** Selectors, the start, bookmarks, and a server-side timeout drawn from the configured range. */
function watchQuery(o: WatchOptions): Query {
  const [lo, hi] = o.source.watchTimeoutSeconds ?? [300, 600];
  return {
    ...selectorQuery(o.source),
    resourceVersion: o.resourceVersion,
    allowWatchBookmarks: true,
    timeoutSeconds: Math.round(lo + (hi - lo) * o.timing.random()),
  };
}
