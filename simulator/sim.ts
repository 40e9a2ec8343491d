/**
 * What every behaviour and controller works with: the store, the seeded generator, the world
 * model, the task queue and the resolved options. One instance per scenario engine.
 */
import type { KubeObject } from '../k8s/object.ts';
import type { Micros } from '../k8s/time.ts';
import type { Actor } from './actors.ts';
import type { Cluster, MutationContext } from './cluster.ts';
import type { Rng } from './prng.ts';
import { isApiError } from './status.ts';
import type { TaskQueue } from './task-queue.ts';
import { k8sTime, seconds } from './time-format.ts';
import type { World } from './world.ts';

/** Scenario options with every default filled in (see scenario.ts for the meaning). */
export interface ResolvedOptions {
  seed: number;
  namespaces: number;
  nodes: number;
  deployments: number;
  replicas: number;
  churnPerSecond: number;
  weights: Record<string, number>;
  eventTtlSeconds: number;
  /** Multiplies back-off and other controller delays (below 1 = faster, for demos). */
  delayScale: number;
  maxPodsPerNode: number;
  widgets: boolean;
}

export interface EventInit {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  /** `source.component` (kubelet, default-scheduler, deployment-controller, …). */
  component: string;
  host?: string;
  actor: Actor;
}

/** Hooks into the controllers (they live in behaviors/, which import this module). */
export interface Controllers {
  syncDeployment(appKey: string): void;
  syncReplicaSet(rsKey: string): void;
  recordEvent(involved: KubeObject, e: EventInit): void;
}

export class Sim {
  readonly cluster: Cluster;
  readonly rng: Rng;
  readonly world: World;
  readonly queue: TaskQueue;
  readonly opts: ResolvedOptions;
  ctl!: Controllers;
  private readonly pending = new Set<string>();

  constructor(init: { cluster: Cluster; rng: Rng; world: World; queue: TaskQueue; opts: ResolvedOptions }) {
    this.cluster = init.cluster;
    this.rng = init.rng;
    this.world = init.world;
    this.queue = init.queue;
    this.opts = init.opts;
  }

  now(): Micros {
    return this.cluster.clock.now();
  }

  /** The current time as a Kubernetes timestamp. */
  time(): string {
    return k8sTime(this.now());
  }

  /** Runs `fn` after `secs` seconds of scenario time (scaled by delayScale). */
  after(secs: number, fn: () => void): void {
    this.queue.push(this.now() + Math.max(1, seconds(secs * this.opts.delayScale)), fn);
  }

  /** Like `after`, but a second request for the same key while one is pending is dropped. */
  once(key: string, secs: number, fn: () => void): void {
    if (this.pending.has(key)) return;
    this.pending.add(key);
    this.after(secs, () => {
      this.pending.delete(key);
      fn();
    });
  }

  /** A random delay in [lo, hi] seconds. */
  jitter(lo: number, hi: number): number {
    return lo + this.rng.next() * (hi - lo);
  }

  /** Runs a store write, ignoring "not found" (the object went away meanwhile). */
  tryWrite<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch (e) {
      if (isApiError(e, 'NotFound')) return undefined;
      throw e;
    }
  }

  ctx(actor: Actor, verb: MutationContext['verb'], subresource?: string): MutationContext {
    const c: MutationContext = { user: actor.user, userAgent: actor.userAgent, verb };
    if (subresource) c.subresource = subresource;
    return c;
  }
}
