/**
 * Fault injection for tests of clients (the ingester): dropped and stalled watches, forced
 * 410s, failing lists, and stopping/starting the server on the same port.
 */
import type { Cluster } from './cluster.ts';
import type { StallOptions, WatchHub } from './watch-hub.ts';

/** What the faults act on (the server implements it). */
export interface FaultTarget {
  readonly cluster: Cluster;
  readonly hub: WatchHub;
  stop(): Promise<void>;
  start(): Promise<string>;
}

/** An injected HTTP failure for list or watch requests. */
export interface RequestFailure {
  /** 500 (InternalError), 429 (TooManyRequests, with Retry-After) or 503. Default 500. */
  status?: 429 | 500 | 503;
  retryAfterSeconds?: number;
}

interface Pending {
  remaining: number;
  status: 429 | 500 | 503;
  retryAfterSeconds: number;
}

export class Faults {
  private readonly target: FaultTarget;
  private listFailure: Pending | undefined;
  private watchFailure: Pending | undefined;
  private expiries = 0;
  /** Counts of faults served, for assertions. */
  readonly served = { listFailures: 0, watchFailures: 0, watchExpiries: 0 };

  constructor(target: FaultTarget) {
    this.target = target;
  }

  /** Cuts every open watch connection mid-stream. Returns how many were open. */
  dropWatches(): number {
    return this.target.hub.dropAll();
  }

  /** Ends every open watch cleanly (like the apiserver's watch timeout). */
  endWatches(): number {
    return this.target.hub.endAll();
  }

  /**
   * Open watches go silent for `seconds`: connection kept, no events, no bookmarks. Afterwards
   * the held events are delivered (`after: 'resume'`) or the connections are cut (`'drop'`).
   */
  stallWatches(seconds: number, opts: StallOptions = {}): void {
    this.target.hub.stall(seconds * 1000, opts);
  }

  /** The next `count` watches that start from a resourceVersion get a 410 Expired ERROR event. */
  expireNextWatch(count = 1): void {
    this.expiries += count;
  }

  /** The next `count` list requests fail with `status`. */
  failLists(count: number, failure: RequestFailure = {}): void {
    this.listFailure = { remaining: count, status: failure.status ?? 500, retryAfterSeconds: failure.retryAfterSeconds ?? 1 };
  }

  /** The next `count` watch requests fail with `status` before streaming. */
  failWatches(count: number, failure: RequestFailure = {}): void {
    this.watchFailure = { remaining: count, status: failure.status ?? 500, retryAfterSeconds: failure.retryAfterSeconds ?? 1 };
  }

  /** Compacts all history now: any watch or continue from an older revision gets 410. */
  compactNow(): void {
    this.target.cluster.compact();
  }

  /** Stops the server (every connection is cut); `startServer` brings it back on the same port. */
  stopServer(): Promise<void> {
    return this.target.stop();
  }

  startServer(): Promise<string> {
    return this.target.start();
  }

  /** Clears every pending injected failure. */
  reset(): void {
    this.listFailure = undefined;
    this.watchFailure = undefined;
    this.expiries = 0;
  }

  /** @internal the server consumes one pending list failure, if any. */
  takeListFailure(): Pending | undefined {
    const f = take(this.listFailure);
    if (f) this.served.listFailures++;
    return f;
  }

  /** @internal */
  takeWatchFailure(): Pending | undefined {
    const f = take(this.watchFailure);
    if (f) this.served.watchFailures++;
    return f;
  }

  /** @internal */
  takeWatchExpiry(): boolean {
    if (this.expiries <= 0) return false;
    this.expiries--;
    this.served.watchExpiries++;
    return true;
  }
}

function take(p: Pending | undefined): Pending | undefined {
  if (!p || p.remaining <= 0) return undefined;
  p.remaining--;
  return p;
}
