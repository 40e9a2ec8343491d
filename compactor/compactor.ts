/**
 * The Compactor: on a schedule (default every 15 minutes) it snapshots every cluster at the
 * latest interval boundary S that is at least `settle` old (10:00, 10:15, …; late audit batches
 * up to `settle` still make it in), sweeps the leftovers of interrupted runs, applies retention
 * behind the snapshots, thins old snapshots and checks the disk budget. Each step fails on its
 * own: a failed snapshot of one cluster does not stop the others, and the next run retries.
 * Time and timers are injected, so the schedule is tested without sleeping.
 */
import { SpanStatusCode, trace, type Attributes } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { HistoryStore } from '../core/ports.ts';
import type { SnapshotManifest, SnapshotStore } from '../core/snapshot.ts';
import type { Clock, Micros } from '../core/time.ts';
import { formatTime } from '../core/time.ts';
import { SnapshotCatalog } from './catalog.ts';
import { diskStatus } from './disk-budget.ts';
import type { DiskBudget, DiskStatus } from './disk-budget.ts';
import { applyRetention, DEFAULT_RETENTION } from './retention.ts';
import type { RetentionReport, RetentionRule } from './retention.ts';
import { takeSnapshot } from './snapshot.ts';
import { sweepLeftovers } from './sweep.ts';
import type { SweepResult } from './sweep.ts';
import { thinSnapshots } from './thinning.ts';

/** The timer functions the scheduler uses (globalThis by default; fakes in tests). */
export interface Timer {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimer: Timer = {
  setTimeout: (fn, ms) => {
    const h = setTimeout(fn, ms);
    h.unref?.();
    return h;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface CompactorOptions {
  store: HistoryStore;
  snapshots: SnapshotStore;
  clock: Clock;
  logger: Logger;
  timer?: Timer;
  /** Snapshot interval (default 15 min). */
  interval?: Micros;
  /** How far in the past a snapshot is taken, so late records still make it (default 1 min). */
  settle?: Micros;
  /** Retention rules (default DEFAULT_RETENTION); `false` turns retention and thinning off. */
  retention?: readonly RetentionRule[] | false;
  diskBudget?: DiskBudget;
  /** Uncompressed bytes per snapshot part (see takeSnapshot). */
  partBytes?: number;
  /** Age after which leftovers of interrupted runs are removed (default 1 h). */
  sweepGrace?: Micros;
}

export interface RunReport {
  at: Micros;
  snapshots: SnapshotManifest[];
  /** Clusters whose snapshot failed, with the reason. */
  failed: { cluster: string; error: string }[];
  swept?: SweepResult;
  retention?: RetentionReport[];
  thinned?: number;
  disk?: DiskStatus;
  /** Steps other than snapshots that failed. */
  errors: string[];
}

const MINUTE = 60_000_000;

const tracer = trace.getTracer('kubetime.compactor');

/** Runs `f` in an active span (a no-op unless cli/ started the tracing SDK); errors are recorded and rethrown. */
function spanned<T>(name: string, attributes: Attributes, f: () => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await f();
    } catch (e) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error).message });
      throw e;
    } finally {
      span.end();
    }
  });
}

export class Compactor {
  readonly catalog: SnapshotCatalog;
  private readonly o: CompactorOptions;
  private readonly timer: Timer;
  private readonly interval: Micros;
  private readonly settle: Micros;
  private readonly log: Logger;
  private handle: unknown;
  private running: Promise<RunReport> | undefined;
  private stopped = true;
  private last: RunReport | undefined;
  private lastEnded: Micros | undefined;

  constructor(o: CompactorOptions) {
    this.o = o;
    this.timer = o.timer ?? realTimer;
    this.interval = o.interval ?? 15 * MINUTE;
    this.settle = o.settle ?? MINUTE;
    this.log = o.logger.child({ component: 'compactor' });
    this.catalog = new SnapshotCatalog({ snapshots: o.snapshots, clock: o.clock, logger: this.log });
  }

  /** The snapshot time of a scheduled run at `now`: the latest boundary at least `settle` old. */
  slotAt(now: Micros): Micros {
    return Math.floor((now - this.settle) / this.interval) * this.interval;
  }

  /** When the run for the next slot after `now` is due. */
  nextRunAt(now: Micros): Micros {
    return this.slotAt(now) + this.interval + this.settle;
  }

  /** Starts the schedule (idempotent). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    const now = this.o.clock.now();
    const due = this.nextRunAt(now);
    this.handle = this.timer.setTimeout(() => {
      this.handle = undefined;
      void this.runOnce({ at: this.slotAt(this.o.clock.now()) })
        .catch((e) => this.log.error({ err: e }, 'compactor run failed'))
        .finally(() => this.schedule());
    }, Math.max(0, Math.ceil((due - now) / 1000)));
  }

  /** Stops the schedule and waits for a run in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.handle !== undefined) this.timer.clearTimeout(this.handle);
    this.handle = undefined;
    await this.running?.catch(() => {});
  }

  /** The last run's report (for readiness and metrics). */
  status(): RunReport | undefined {
    return this.last;
  }

  /** When the last run ended (for metrics). */
  lastRunEndedAt(): Micros | undefined {
    return this.lastEnded;
  }

  /**
   * One full run now: snapshots of every cluster at `at` (default: now − settle), then sweep,
   * retention, thinning and the disk check (`snapshotOnly` skips those: `kubetime snapshot`).
   * Runs never overlap; a call during a run waits for it.
   */
  async runOnce(o: { at?: Micros; snapshotOnly?: boolean } = {}): Promise<RunReport> {
    while (this.running) await this.running.catch(() => {});
    const at = o.at ?? this.o.clock.now() - this.settle;
    this.running = spanned('kubetime.compactor.run', { 'kubetime.at': formatTime(at), 'kubetime.snapshot_only': o.snapshotOnly ?? false },
      () => this.run(at, o.snapshotOnly ?? false));
    try {
      this.last = await this.running;
      this.lastEnded = this.o.clock.now();
      return this.last;
    } finally {
      this.running = undefined;
    }
  }

  private async run(at: Micros, snapshotOnly: boolean): Promise<RunReport> {
    const report: RunReport = { at, snapshots: [], failed: [], errors: [] };
    const step = async <T>(name: string, f: () => Promise<T>): Promise<T | undefined> => {
      try {
        return await spanned(`kubetime.compactor.${name.replace(/ /g, '_')}`, {}, f);
      } catch (e) {
        report.errors.push(`${name}: ${(e as Error).message}`);
        this.log.error({ err: e, step: name }, 'compactor step failed');
        return undefined;
      }
    };
    const clusters = (await step('listing clusters', () => this.o.store.clusters())) ?? [];
    for (const { name: cluster } of clusters) await this.snapshotCluster(cluster, at, report);
    this.catalog.invalidate();
    if (snapshotOnly) return report;
    const now = this.o.clock.now();
    report.swept = await step('sweep', () => sweepLeftovers({ snapshots: this.o.snapshots, now, grace: this.o.sweepGrace }));
    if (this.o.retention !== false) {
      const rules = this.o.retention ?? DEFAULT_RETENTION;
      report.retention = await step('retention', () => applyRetention({ store: this.o.store, catalog: this.catalog, rules, now, logger: this.log }));
      report.thinned = await step('thinning', () => thinSnapshots({ catalog: this.catalog, rules, now, logger: this.log }));
    }
    if (this.o.diskBudget) report.disk = await step('disk budget', () => this.checkDisk(this.o.diskBudget!));
    return report;
  }

  private async snapshotCluster(cluster: string, at: Micros, report: RunReport): Promise<void> {
    try {
      await spanned('kubetime.compactor.snapshot', { 'kubetime.cluster': cluster, 'kubetime.at': formatTime(at) }, () => this.snapshotOne(cluster, at, report));
    } catch (e) {
      report.failed.push({ cluster, error: (e as Error).message });
      this.log.error({ err: e, cluster, at: formatTime(at) }, 'snapshot failed; the next run retries');
    }
  }

  private async snapshotOne(cluster: string, at: Micros, report: RunReport): Promise<void> {
    const existing = await this.catalog.newestAtOrBefore(cluster, at);
    if (existing?.at === at) {
      this.log.debug({ cluster, at: formatTime(at) }, 'snapshot for this time exists already');
      return;
    }
    const m = await takeSnapshot({ store: this.o.store, snapshots: this.o.snapshots, cluster, at, clock: this.o.clock, logger: this.log, partBytes: this.o.partBytes });
    report.snapshots.push(m);
  }

  private async checkDisk(b: DiskBudget): Promise<DiskStatus> {
    const s = diskStatus(await b.usage(), b.bytes, b.warnAt);
    const fields = { usedBytes: s.used, budgetBytes: s.budget, ratio: Number(s.ratio.toFixed(3)) };
    if (s.level === 'exceeded') this.log.error(fields, s.message);
    else if (s.level === 'warning') this.log.warn(fields, s.message);
    return s;
  }
}
