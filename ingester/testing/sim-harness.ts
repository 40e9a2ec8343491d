/**
 * The fault tests' rig: the simulator served over HTTP, the embedded store in a temporary data
 * dir behind a wrapper that can fail like an outage and records every append, and the ingester
 * wired as cli/ wires it (ClientNodeKubeApi → InformerSources → WritePipeline → SpoolingWriter →
 * store; watch checkpoints in the data dir). The scenario is stepped by this harness so a test can pause it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import pino, { type Logger } from 'pino';
import { KubetimeError } from '../../core/errors.ts';
import { systemClock } from '../../core/time.ts';
import { AuditSink } from '../audit/audit-sink.ts';
import type { AppendResult, HistoryStore } from '../../core/ports.ts';
import type { ChangeRecord } from '../../core/record.ts';
import type { CompactionWindow } from '../../simulator/cluster.ts';
import { startSimulator, type Simulator } from '../../simulator/index.ts';
import { Checkpoints } from '../watch/checkpoints.ts';
import { LmdbHistoryStore } from '../../store/lmdb/lmdb-history-store.ts';
import { ClientNodeKubeApi } from '../watch/client-node-kube-api.ts';
import { startIngester, type Ingester, type IngesterOptions } from '../index.ts';
import { IngestMetrics } from '../metrics.ts';
import { WritePipeline } from '../write/pipeline.ts';
import { SpoolingWriter } from '../write/spooling-writer.ts';
import { compareWithTruth, duplicateWrites, storedFeed, type Comparison, type GapWindow } from './truth.ts';

/** A HistoryStore that forwards to another and can be switched "down". */
export class FlakyStore implements HistoryStore {
  readonly inner: HistoryStore;
  down = false;
  /** Identity of every record appended successfully, in order. */
  readonly appended: Pick<ChangeRecord, 'cluster' | 'uid' | 'resourceVersion' | 'op' | 'source'>[] = [];

  constructor(inner: HistoryStore) {
    this.inner = inner;
  }

  #check(): void {
    if (this.down) throw new KubetimeError('STORE_UNAVAILABLE', 'injected store outage');
  }

  async append(records: readonly ChangeRecord[]): Promise<AppendResult> {
    this.#check();
    const r = await this.inner.append(records);
    for (const x of records) this.appended.push({ cluster: x.cluster, uid: x.uid, resourceVersion: x.resourceVersion, op: x.op, source: x.source });
    return r;
  }

  revisions: HistoryStore['revisions'] = (q) => {
    this.#check();
    return this.inner.revisions(q);
  };
  lifetimes: HistoryStore['lifetimes'] = (q) => {
    this.#check();
    return this.inner.lifetimes(q);
  };
  feed: HistoryStore['feed'] = (q) => this.inner.feed(q);
  clusters = () => this.inner.clusters();
  kinds = (c: string) => this.inner.kinds(c);
  prune: HistoryStore['prune'] = (r) => this.inner.prune(r);
  close = () => this.inner.close();
}

export interface HarnessOptions {
  seed?: number;
  /** Post the simulator's audit events to an AuditSink writing into the running ingester's pipeline. */
  audit?: { delayMs?: number; batchMaxWaitMs?: number };
  churnPerSecond?: number;
  ingester?: Partial<IngesterOptions>;
  logLevel?: string;
  /** The simulator's history window (default five minutes): older resourceVersions get 410. */
  compactionWindow?: CompactionWindow;
}

export interface RunningIngester {
  ingester: Ingester;
  pipeline: WritePipeline;
  spool: SpoolingWriter;
  api: ClientNodeKubeApi;
  metrics: IngestMetrics;
  checkpoints: Checkpoints;
}

export class Harness {
  readonly sim: Simulator;
  readonly store: FlakyStore;
  readonly dataDir: string;
  readonly logger: Logger;
  readonly opts: HarnessOptions;
  run: RunningIngester | undefined;
  #ticker: NodeJS.Timeout | undefined;

  private constructor(sim: Simulator, store: FlakyStore, dataDir: string, opts: HarnessOptions) {
    this.sim = sim;
    this.store = store;
    this.dataDir = dataDir;
    this.opts = opts;
    this.logger = pino({ level: opts.logLevel ?? process.env.KUBETIME_TEST_LOG ?? 'silent' });
  }

  /** Audit batches the sink accepted. */
  auditBatches = 0;

  static async start(opts: HarnessOptions = {}): Promise<Harness> {
    let harness: Harness | undefined;
    const deliver = async (_url: unknown, init?: { body?: unknown }): Promise<Response> => {
      await sleep(opts.audit?.delayMs ?? 0);
      const run = harness?.run;
      if (!run) return new Response('{"error":"no sink"}', { status: 503 });
      const sink = new AuditSink({ writer: run.pipeline, clock: systemClock, cluster: 'sim', kindForResource: (g, r) => run.ingester.kindForResource(g, r) });
      await sink.ingestList(JSON.parse(String(init?.body)));
      harness!.auditBatches++;
      return new Response('{}', { status: 200 });
    };
    const sim = await startSimulator({
      ...(opts.audit ? { audit: { url: 'http://audit-sink.invalid/v1/audit', fetch: deliver as typeof fetch, batchMaxWaitMs: opts.audit.batchMaxWaitMs ?? 200, initialBackoffMs: 100 } } : {}),
      autoStep: false,
      ...(opts.compactionWindow ? { compactionWindow: opts.compactionWindow } : {}),
      bookmarkIntervalMs: 500, // as a real apiserver, bookmarks keep quiet watches visibly alive (watchdog 2 s here)
      scenario: { seed: opts.seed ?? 11, churnPerSecond: opts.churnPerSecond ?? 40, delayScale: 0.2, deployments: 6, replicas: 3 },
    });
    const dataDir = await mkdtemp(join(tmpdir(), 'kubetime-ingest-'));
    const store = new FlakyStore(LmdbHistoryStore.open({ path: join(dataDir, 'store') }));
    const h = new Harness(sim, store, dataDir, opts);
    harness = h;
    h.resume();
    return h;
  }

  /** Steps the scenario every 100 ms (real time). */
  resume(): void {
    this.#ticker ??= setInterval(() => this.sim.engine.step(), 100);
  }

  pause(): void {
    clearInterval(this.#ticker);
    this.#ticker = undefined;
  }

  /** The highest committed resourceVersion. */
  headRv(): number {
    const all = this.sim.groundTruth();
    return all.length ? Number(all.at(-1)!.resourceVersion) : 0;
  }

  async startIngester(extra: Partial<IngesterOptions> = {}): Promise<RunningIngester> {
    const kc = new KubeConfig();
    kc.loadFromFile(this.sim.kubeconfigPath);
    const metrics = new IngestMetrics();
    const api = new ClientNodeKubeApi({ kubeConfig: kc, requestTimeoutMs: 5000 });
    const spool = await SpoolingWriter.open({ store: this.store, dir: join(this.dataDir, 'spool'), metrics, logger: this.logger.child({ c: 'spool' }), retry: { baseMs: 100, maxMs: 1000 } });
    const pipeline = new WritePipeline({ sink: spool, metrics, lingerMs: 10 });
    const checkpoints = await Checkpoints.open({ path: join(this.dataDir, 'watch-checkpoints.json'), logger: this.logger.child({ c: 'checkpoints' }) });
    const ingester = startIngester({
      api, cluster: 'sim', writer: pipeline, store: this.store, metrics, logger: this.logger.child({ c: 'ingester' }), checkpoints,
      source: { watchdogMs: 2000, backoff: { baseMs: 100, maxMs: 1000 }, listPageSize: 50 },
      rediscoverEveryMs: 5000,
      ...this.opts.ingester,
      ...extra,
    });
    this.run = { ingester, pipeline, spool, api, metrics, checkpoints };
    return this.run;
  }

  async stopIngester(): Promise<void> {
    const r = this.run;
    if (!r) return;
    this.run = undefined;
    await r.ingester.stop();
    await r.checkpoints.close();
    await r.pipeline.close();
    await r.spool.close();
    await r.api.close();
  }

  /** Every source is watching. */
  async allWatching(timeoutMs = 20_000): Promise<void> {
    await until(() => {
      const s = this.run?.ingester.status();
      return !!s && s.sources.length > 0 && s.sources.every((x) => x.state === 'watching');
    }, 'all sources watching', timeoutMs);
  }

  async compare(gaps: GapWindow[] = []): Promise<Comparison> {
    return compareWithTruth(this.sim.groundTruth(), await storedFeed(this.store.inner, 'sim'), gaps);
  }

  /** Waits until the store matches the truth (everything so far recorded). */
  async caughtUp(gaps: GapWindow[] = [], timeoutMs = 20_000): Promise<Comparison> {
    let last: Comparison | undefined;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      last = await this.compare(gaps);
      if (!last.missing.length && !last.wrongFinal.length && !last.invented.length) return last;
      await sleep(100);
    }
    return last!;
  }

  /** Revisions the ingester (watch and relist records) wrote twice; audit records merge by design. */
  duplicates(): string[] {
    return duplicateWrites(this.store.appended.filter((r) => r.source === 'watch' || r.source === 'relist'));
  }

  async close(): Promise<void> {
    this.pause();
    await this.stopIngester();
    await this.sim.stop();
    await this.store.close();
    await rm(this.dataDir, { recursive: true, force: true });
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
