/**
 * The scenario engine: a seeded, deterministic simulation of a busy cluster. It bootstraps the
 * initial objects, then on every `step()` runs the controller work that has come due and spends
 * its change budget (`churnPerSecond` × elapsed clock time) on randomly chosen behaviours:
 * rollouts (some bad, rolled back), config and secret edits, HPA scaling, crash loops, OOM
 * kills, node drains, apps created and deleted, PVC resizes, Service/Ingress and Widget edits.
 *
 * Determinism: the same seed and the same sequence of clock readings at each step give the same
 * objects, uids, resourceVersions and timestamps. The engine never reads the wall clock and
 * never uses Math.random; time comes from the cluster's injected Clock.
 */
import type { Micros } from '../k8s/time.ts';
import { syncDeployment } from './behaviors/deployments.ts';
import { configEdit, networkEdit, podDelete, secretRotate, widgetEdit } from './behaviors/edits.ts';
import { EventRecorder } from './behaviors/events.ts';
import { appCreate, appDelete, crashLoop, drainNode, hpaScale, oom } from './behaviors/operations.ts';
import { syncReplicaSet } from './behaviors/replicasets.ts';
import { imageRollout } from './behaviors/rollouts.ts';
import { resizeClaim } from './behaviors/storage.ts';
import { ACTORS } from './actors.ts';
import { bootstrap } from './bootstrap.ts';
import type { Cluster } from './cluster.ts';
import { Rng } from './prng.ts';
import { Sim, type ResolvedOptions } from './sim.ts';
import { TaskQueue } from './task-queue.ts';
import { World } from './world.ts';

/** The behaviours the engine picks from, with their default relative weights. */
export const DEFAULT_WEIGHTS = {
  rollout: 3,
  'bad-rollout': 0.4,
  'config-edit': 3,
  'secret-rotate': 1,
  'hpa-scale': 4,
  crashloop: 1.5,
  oomkill: 1.5,
  'node-drain': 0.2,
  'app-create': 0.4,
  'app-delete': 0.3,
  'pvc-resize': 0.5,
  'network-edit': 1,
  'widget-edit': 1,
  'pod-delete': 1,
  // Last and off by default, so that existing seeds pick the same behaviours as before.
  'image-pull-failure': 0,
} as const;

export type BehaviourName = keyof typeof DEFAULT_WEIGHTS;

/** Weights that turn every random behaviour off: only `trigger()` changes anything. */
export const NO_BEHAVIOURS: Record<BehaviourName, number> = Object.fromEntries(
  Object.keys(DEFAULT_WEIGHTS).map((k) => [k, 0]),
) as Record<BehaviourName, number>;

export interface ScenarioOptions {
  /** Seeds every random choice (and the cluster's uids when the engine creates the cluster). */
  seed: number;
  /** Workload namespaces (besides default and kube-system). Default 3. */
  namespaces?: number;
  /** Default: enough for the pods at ~80 per node, at least 3. */
  nodes?: number;
  /** Deployments (apps) at bootstrap, spread over the namespaces. Default 8. */
  deployments?: number;
  /** Replicas per deployment at bootstrap. Default 3. */
  replicas?: number;
  /** Target object changes per second of clock time, controller reactions included. Default 5. */
  churnPerSecond?: number;
  /** Relative weights of behaviours; 0 disables one. */
  weights?: Partial<Record<BehaviourName, number>>;
  /** Events expire this long after their last update. Default 3600. */
  eventTtlSeconds?: number;
  /** Scales controller delays and back-offs (0.2 = five times faster). Default 1. */
  delayScale?: number;
  /** Default 110. */
  maxPodsPerNode?: number;
  /** Register the example.com/v1 Widget CRD and create a few Widgets. Default true. */
  widgets?: boolean;
}

/** A namespaced object's address. */
export interface ObjectRef {
  namespace: string;
  name: string;
}

export interface StepReport {
  /** Mutations committed during the step. */
  mutations: number;
  /** Behaviours started during the step, by name. */
  behaviours: Partial<Record<BehaviourName, number>>;
}

const RUNNERS: Record<BehaviourName, (sim: Sim) => boolean> = {
  rollout: (s) => imageRollout(s, false),
  'bad-rollout': (s) => imageRollout(s, true),
  'config-edit': configEdit,
  'secret-rotate': secretRotate,
  'hpa-scale': hpaScale,
  crashloop: crashLoop,
  oomkill: oom,
  'node-drain': drainNode,
  'app-create': appCreate,
  'app-delete': appDelete,
  'pvc-resize': (s) => {
    const apps = s.world.liveApps().filter((a) => a.pvc);
    const app = apps.length ? s.rng.pick(apps) : undefined;
    return app ? resizeClaim(s, app.namespace, app.pvc!, ACTORS.alice) : false;
  },
  'network-edit': networkEdit,
  'widget-edit': widgetEdit,
  'pod-delete': podDelete,
  'image-pull-failure': (s) => imageRollout(s, true, true),
};

/** Most time credited to one step (a long pause does not turn into a burst). */
const MAX_STEP_SECONDS = 5;

export function resolveOptions(o: ScenarioOptions): ResolvedOptions {
  const deployments = o.deployments ?? 8;
  const replicas = o.replicas ?? 3;
  return {
    seed: o.seed,
    namespaces: Math.max(1, o.namespaces ?? 3),
    nodes: o.nodes ?? Math.max(3, Math.ceil((deployments * replicas) / 80)),
    deployments,
    replicas,
    churnPerSecond: o.churnPerSecond ?? 5,
    weights: { ...DEFAULT_WEIGHTS, ...o.weights },
    eventTtlSeconds: o.eventTtlSeconds ?? 3600,
    delayScale: o.delayScale ?? 1,
    maxPodsPerNode: o.maxPodsPerNode ?? 110,
    widgets: o.widgets ?? true,
  };
}

export class ScenarioEngine {
  readonly cluster: Cluster;
  readonly options: ResolvedOptions;
  private readonly sim: Sim;
  private readonly names: BehaviourName[];
  private bootstrapped = false;
  private lastStep: Micros | undefined;
  private credit = 0;

  constructor(cluster: Cluster, options: ScenarioOptions) {
    this.cluster = cluster;
    this.options = resolveOptions(options);
    this.sim = new Sim({ cluster, rng: new Rng(this.options.seed), world: new World(), queue: new TaskQueue(), opts: this.options });
    const events = new EventRecorder(this.sim);
    const sim = this.sim;
    sim.ctl = {
      syncDeployment: (key) => sim.once(`deploy:${key}`, 0.2, () => syncDeployment(sim, key)),
      syncReplicaSet: (key) => sim.once(`rs:${key}`, 0.1, () => syncReplicaSet(sim, key)),
      recordEvent: (obj, e) => events.record(obj, e),
    };
    this.names = Object.keys(RUNNERS) as BehaviourName[];
  }

  /** The engine's model (apps, pods, nodes), for tests and the demo's narration. Read-only. */
  get world(): World {
    return this.sim.world;
  }

  /** Creates the initial objects (once). `step()` calls it when needed. */
  bootstrap(): void {
    if (this.bootstrapped) return;
    this.bootstrapped = true;
    bootstrap(this.sim);
    this.lastStep = this.cluster.clock.now();
  }

  /** Advances to the clock's current time: due controller work, then new behaviours within budget. */
  step(): StepReport {
    const startRv = this.cluster.resourceVersion;
    const report: StepReport = { mutations: 0, behaviours: {} };
    if (!this.bootstrapped) {
      this.bootstrap();
      report.mutations = this.cluster.resourceVersion - startRv;
      return report;
    }
    const now = this.cluster.clock.now();
    const elapsed = Math.min(MAX_STEP_SECONDS, Math.max(0, (now - (this.lastStep ?? now)) / 1e6));
    this.lastStep = now;
    this.credit = Math.min(this.credit + elapsed * this.options.churnPerSecond, Math.max(1, this.options.churnPerSecond * MAX_STEP_SECONDS));
    this.runDue(now);
    this.credit -= this.cluster.resourceVersion - startRv;
    let misses = 0;
    while (this.credit >= 1 && misses < 20) {
      const before = this.cluster.resourceVersion;
      const name = this.pick();
      if (!name || !this.trigger(name)) {
        misses++;
        continue;
      }
      report.behaviours[name] = (report.behaviours[name] ?? 0) + 1;
      this.credit -= Math.max(1, this.cluster.resourceVersion - before);
    }
    report.mutations = this.cluster.resourceVersion - startRv;
    return report;
  }

  /** Runs one behaviour now (outside the budget). False when it had nothing to act on. */
  trigger(name: BehaviourName): boolean {
    if (!this.bootstrapped) this.bootstrap();
    return RUNNERS[name](this.sim);
  }

  /** Runs the controller work due at or before `now` (what step() does first). */
  runDue(now: Micros = this.cluster.clock.now()): number {
    let n = 0;
    for (let task = this.sim.queue.popDue(now); task; task = this.sim.queue.popDue(now)) {
      task();
      n++;
    }
    return n;
  }

  /** Time of the next scheduled controller task, if any (tests step the clock to it). */
  nextTaskAt(): Micros | undefined {
    return this.sim.queue.peekTime();
  }

  /** A few live objects worth querying (for the demo's example commands). */
  examples(): { deployment?: ObjectRef; pod?: ObjectRef; configMap?: ObjectRef; node?: string } {
    const app = this.world.liveApps()[0];
    const pod = app && [...this.world.pods.values()].find((p) => p.app === app.key && !p.terminating);
    return {
      deployment: app && { namespace: app.namespace, name: app.name },
      pod: pod && { namespace: pod.namespace, name: pod.name },
      configMap: app && { namespace: app.namespace, name: app.configMap },
      node: this.world.nodes[0]?.name,
    };
  }

  private pick(): BehaviourName | undefined {
    const weights = this.names.map((n) => this.options.weights[n] ?? 0);
    if (!weights.some((w) => w > 0)) return undefined;
    return this.names[this.sim.rng.weighted(weights)];
  }
}
