/**
 * Posts audit events to a webhook sink the way kube-apiserver's batching webhook backend does:
 * EventList batches of at most `batchMaxSize`, sent when full or `batchMaxWaitMs` after the
 * first queued event, one batch in flight at a time (order kept), retried with exponential
 * back-off on failure, dropped after `maxRetries`; a full buffer drops new events.
 */
import type { Logger } from 'pino';
import type { Cluster } from './cluster.ts';
import { eventList, toAuditEvent, type AuditEvent, type AuditOptions } from './audit.ts';
import { realTimers, type Timers } from './timers.ts';

export interface AuditPosterOptions {
  /** The sink URL (e.g. `http://127.0.0.1:8080/v1/audit`). */
  url: string;
  /** Sent as `Authorization: Bearer <token>` when set. */
  token?: string;
  /** Default 400 (the apiserver's default). */
  batchMaxSize?: number;
  /** Default 1000 ms (the apiserver waits 30 s; a demo wants changes sooner). */
  batchMaxWaitMs?: number;
  /** Events held at most; beyond it new events are dropped. Default 10 000. */
  bufferSize?: number;
  /** Default 500 ms, doubling up to 10 s. */
  initialBackoffMs?: number;
  /** Attempts after the first before a batch is dropped. Default 8. */
  maxRetries?: number;
  fetch?: typeof fetch;
  timers?: Timers;
  logger?: Logger;
}

/** Counters for assertions and the demo's status line. */
export interface AuditPosterStats {
  /** Events delivered (2xx). */
  sent: number;
  batches: number;
  /** Failed attempts (each retried or, after maxRetries, dropped). */
  failures: number;
  /** Events dropped: buffer full, or a batch out of retries. */
  dropped: number;
}

export class AuditPoster {
  private readonly opts: Required<Omit<AuditPosterOptions, 'token' | 'logger'>> & Pick<AuditPosterOptions, 'token' | 'logger'>;
  private queue: AuditEvent[] = [];
  private timer: unknown;
  private inFlight: Promise<void> | undefined;
  private closed = false;
  readonly stats: AuditPosterStats = { sent: 0, batches: 0, failures: 0, dropped: 0 };

  constructor(opts: AuditPosterOptions) {
    this.opts = {
      url: opts.url,
      token: opts.token,
      logger: opts.logger,
      batchMaxSize: opts.batchMaxSize ?? 400,
      batchMaxWaitMs: opts.batchMaxWaitMs ?? 1000,
      bufferSize: opts.bufferSize ?? 10_000,
      initialBackoffMs: opts.initialBackoffMs ?? 500,
      maxRetries: opts.maxRetries ?? 8,
      fetch: opts.fetch ?? globalThis.fetch,
      timers: opts.timers ?? realTimers,
    };
  }

  /** Turns every audited mutation of `cluster` into an event for this poster. Returns an unsubscribe. */
  attach(cluster: Cluster, audit: AuditOptions): () => void {
    return cluster.onMutation((m) => {
      const ev = toAuditEvent(m, audit);
      if (ev) this.enqueue(ev);
    });
  }

  /** Number of events waiting (not yet delivered or dropped). */
  get pending(): number {
    return this.queue.length;
  }

  enqueue(ev: AuditEvent): void {
    if (this.closed) return;
    if (this.queue.length >= this.opts.bufferSize) {
      this.stats.dropped++;
      return;
    }
    this.queue.push(ev);
    if (this.queue.length >= this.opts.batchMaxSize) this.kick();
    else if (this.timer === undefined && !this.inFlight) {
      this.timer = this.opts.timers.setTimeout(() => {
        this.timer = undefined;
        this.kick();
      }, this.opts.batchMaxWaitMs);
    }
  }

  /** Sends everything queued now; resolves when it is delivered or dropped. */
  async flush(): Promise<void> {
    while (this.queue.length > 0 || this.inFlight) {
      this.kick();
      await this.inFlight;
    }
  }

  /** Flushes, then stops accepting events. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    if (this.timer !== undefined) this.opts.timers.clearTimeout(this.timer);
  }

  private kick(): void {
    if (this.inFlight || this.queue.length === 0) return;
    if (this.timer !== undefined) {
      this.opts.timers.clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.queue.splice(0, this.opts.batchMaxSize);
    this.inFlight = this.deliver(batch).finally(() => {
      this.inFlight = undefined;
      if (this.queue.length >= this.opts.batchMaxSize || (this.queue.length > 0 && this.closed)) this.kick();
      else if (this.queue.length > 0 && this.timer === undefined) {
        this.timer = this.opts.timers.setTimeout(() => {
          this.timer = undefined;
          this.kick();
        }, this.opts.batchMaxWaitMs);
      }
    });
  }

  private async deliver(batch: AuditEvent[]): Promise<void> {
    const body = JSON.stringify(eventList(batch));
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.opts.token) headers.authorization = `Bearer ${this.opts.token}`;
    let backoff = this.opts.initialBackoffMs;
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await this.opts.fetch(this.opts.url, { method: 'POST', headers, body });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) {
          this.stats.sent += batch.length;
          this.stats.batches++;
          return;
        }
        this.opts.logger?.warn({ status: res.status, events: batch.length, attempt }, 'audit sink rejected a batch');
      } catch (err) {
        this.opts.logger?.warn({ err, events: batch.length, attempt }, 'audit sink unreachable');
      }
      this.stats.failures++;
      if (attempt >= this.opts.maxRetries) {
        this.stats.dropped += batch.length;
        this.opts.logger?.error({ events: batch.length }, 'dropping an audit batch after retries');
        return;
      }
      await new Promise<void>((resolve) => this.opts.timers.setTimeout(resolve, backoff));
      backoff = Math.min(backoff * 2, 10_000);
    }
  }
}
