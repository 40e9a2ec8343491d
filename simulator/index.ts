/**
 * The simulator in one call: a seeded scenario running on an in-memory cluster, served over
 * HTTP like a Kubernetes API server, with a kubeconfig pointing at it and (optionally) audit
 * batches posted to a sink. Used by `kubetime demo`, fault tests and benchmarks.
 *
 *   const sim = await startSimulator({ scenario: { seed: 7 } });
 *   // … ingest from sim.kubeconfigPath …
 *   await sim.stop();
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { systemClock, type Clock } from './clock.ts';
import type { AuditLevel } from './audit.ts';
import { AuditPoster, type AuditPosterOptions } from './audit-poster.ts';
import { Cluster, type CompactionWindow, type Mutation } from './cluster.ts';
import type { Faults } from './faults.ts';
import { GroundTruth, type TruthRevision } from './ground-truth.ts';
import { writeKubeconfig } from './kubeconfig.ts';
import { ScenarioEngine, type ScenarioOptions } from './scenario.ts';
import { SimServer } from './server.ts';
import type { Timers } from './timers.ts';

export interface SimulatorOptions {
  /** Scenario options; `seed` defaults to 1. */
  scenario?: Partial<ScenarioOptions>;
  /** Default: the system clock. Pass a ManualClock (and autoStep: false) to step by hand. */
  clock?: Clock;
  /** Step the engine on a real-time ticker. Default true. */
  autoStep?: boolean;
  /** Ticker period. Default 200 ms. */
  tickMs?: number;
  /** Create the initial objects before returning. Default true. */
  bootstrap?: boolean;
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  /** When set, the server requires this bearer token (and the kubeconfig carries it). */
  token?: string;
  /** Where to write the kubeconfig. Default: a new temporary directory (removed by stop()). */
  kubeconfigPath?: string;
  /** Default: five minutes of clock time. */
  compactionWindow?: CompactionWindow;
  bookmarkIntervalMs?: number;
  defaultWatchTimeoutSeconds?: number;
  /** Post audit batches to a sink. */
  audit?: Omit<AuditPosterOptions, 'timers' | 'logger'> & { levelFor?: (m: Mutation) => AuditLevel };
  /** Record every revision for groundTruth(). Default true. */
  groundTruth?: boolean;
  logger?: Logger;
  timers?: Timers;
}

export interface Simulator {
  /** The API server URL (`http://127.0.0.1:PORT`). */
  url: string;
  kubeconfigPath: string;
  cluster: Cluster;
  engine: ScenarioEngine;
  server: SimServer;
  faults: Faults;
  /** Present when `audit` was configured. */
  audit: AuditPoster | undefined;
  /** Every committed revision so far, oldest first (empty when groundTruth: false). */
  groundTruth(): readonly TruthRevision[];
  /** Stops the ticker, flushes audit (bounded), stops the server, removes the temp kubeconfig. */
  stop(): Promise<void>;
}

export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const seed = opts.scenario?.seed ?? 1;
  const cluster = new Cluster({ clock: opts.clock ?? systemClock, seed, compactionWindow: opts.compactionWindow });
  const truth = opts.groundTruth === false ? undefined : new GroundTruth(cluster);
  let audit: AuditPoster | undefined;
  if (opts.audit) {
    const { levelFor, ...posterOpts } = opts.audit;
    audit = new AuditPoster({ ...posterOpts, timers: opts.timers, logger: opts.logger?.child({ component: 'sim-audit' }) });
    audit.attach(cluster, { seed, levelFor });
  }
  const engine = new ScenarioEngine(cluster, { ...opts.scenario, seed });
  if (opts.bootstrap !== false) engine.bootstrap();
  const server = new SimServer({
    cluster, host: opts.host, port: opts.port, token: opts.token, bookmarkIntervalMs: opts.bookmarkIntervalMs,
    defaultWatchTimeoutSeconds: opts.defaultWatchTimeoutSeconds, timers: opts.timers, logger: opts.logger?.child({ component: 'simulator' }),
  });
  const url = await server.start();
  const tempDir = opts.kubeconfigPath ? undefined : await mkdtemp(join(tmpdir(), 'kubetime-sim-'));
  const kubeconfigPath = opts.kubeconfigPath ?? join(tempDir!, 'kubeconfig');
  await writeKubeconfig(kubeconfigPath, { server: url, token: opts.token });
  const ticker = opts.autoStep === false ? undefined : startTicker(engine, opts.tickMs ?? 200, opts.logger);
  return {
    url, kubeconfigPath, cluster, engine, server, faults: server.faults, audit,
    groundTruth: () => truth?.all() ?? [],
    async stop() {
      if (ticker) clearInterval(ticker);
      if (audit) await Promise.race([audit.close(), new Promise((r) => setTimeout(r, 2000).unref())]);
      await server.close();
      truth?.stop();
      if (tempDir) await rm(tempDir, { recursive: true, force: true });
    },
  };
}

function startTicker(engine: ScenarioEngine, tickMs: number, logger: Logger | undefined): NodeJS.Timeout {
  return setInterval(() => {
    try {
      engine.step();
    } catch (err) {
      logger?.error({ err }, 'scenario step failed');
    }
  }, tickMs);
}

export { Cluster } from './cluster.ts';
export type { AuditUser, CompactionWindow, Mutation, MutationContext } from './cluster.ts';
export { ScenarioEngine, DEFAULT_WEIGHTS, type BehaviourName, type ObjectRef, type ScenarioOptions, type StepReport } from './scenario.ts';
export { SimServer, type SimServerOptions } from './server.ts';
export { Faults, type RequestFailure } from './faults.ts';
export { AuditPoster, type AuditPosterOptions, type AuditPosterStats } from './audit-poster.ts';
export { toAuditEvent, auditIdFor, eventList, type AuditEvent, type AuditEventList, type AuditLevel } from './audit.ts';
export { GroundTruth, type TruthRevision } from './ground-truth.ts';
export { simulateHistory, auditLogLines, type HistoryOptions, type SimulatedHistory } from './history.ts';
export { writeKubeconfig, SIM_CONTEXT } from './kubeconfig.ts';
export { ManualClock } from './manual-clock.ts';
export { ACTORS } from './actors.ts';
