/**
 * The scenario engine's own model of the cluster: which apps, ReplicaSets, pods and nodes
 * exist and how they relate, so decisions (which pod to evict, how many are ready) do not scan
 * the object store. The store stays the source of truth for object contents; every change to
 * both goes through the controllers in behaviors/.
 */
import type { Micros } from '../k8s/time.ts';
import { InjectedFailures, type TriggerRef } from './injected.ts';
import type { AppSpec } from './manifests/app-spec.ts';

export interface AppState extends AppSpec {
  /** `namespace/name` */
  key: string;
  /** Desired replicas (the Deployment's spec.replicas). */
  replicas: number;
  hpa?: { min: number; max: number };
  ingress?: string;
  /** ReplicaSet keys, oldest first; the last one runs the current template. */
  replicaSets: string[];
  /** Image tags that crash on start (a bad release). */
  badTags: Set<string>;
  /** The last tag that worked (what a rollback returns to). */
  goodTag: string;
  /** The Deployment's revision counter. */
  revision: number;
  /** When the current rollout began (for the progress deadline). */
  rolloutStartedAt?: Micros;
  /** Image tags the registry does not have (a release whose Pods cannot pull their image). */
  missingTags?: Set<string>;
  /** The Deployment revision that released each bad tag (the trigger of its pods' crash loops). */
  badReleases?: Map<string, TriggerRef>;
  /** Set once the app is being deleted: controllers leave it alone. */
  deleted?: boolean;
}

export interface ReplicaSetState {
  key: string;
  namespace: string;
  name: string;
  app: string;
  hash: string;
  /** Pod keys owned by this ReplicaSet (terminating ones included until they are gone). */
  pods: Set<string>;
}

export interface PodState {
  key: string;
  namespace: string;
  name: string;
  rs: string;
  app: string;
  node?: string;
  ip?: string;
  ready: boolean;
  terminating: boolean;
  /** Restarts so far (the main container's restartCount). */
  restarts: number;
  /** Crash cycles still to come (Infinity for a bad image); 0 when healthy. */
  crashesLeft: number;
  /** The change that made this pod fail (a bad release), if any. */
  trigger?: TriggerRef;
  /** Creation order, for "newest first" choices. */
  seq: number;
}

export interface NodeState {
  name: string;
  index: number;
  ip: string;
  cordoned: boolean;
  pods: Set<string>;
  nextIp: number;
}

export function keyOf(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

export class World {
  readonly namespaces: string[] = [];
  readonly nodes: NodeState[] = [];
  readonly apps = new Map<string, AppState>();
  readonly replicaSets = new Map<string, ReplicaSetState>();
  readonly pods = new Map<string, PodState>();
  /** Pods in a crash loop (or recovering from one). */
  readonly crashing = new Set<string>();
  /** Names handed out per namespace for new apps, so they never repeat. */
  readonly usedNames = new Set<string>();
  /** Every failure the engine caused, with its span and trigger (the failure timeline's ground truth). */
  readonly injected = new InjectedFailures();
  /** Node being drained, if any (one at a time). */
  draining: string | undefined;
  private podSeq = 0;
  private serviceSeq = 10;

  /** The next free Service cluster IP. */
  nextServiceIp(): string {
    const n = this.serviceSeq++;
    return `172.20.${Math.floor(n / 250) % 256}.${(n % 250) + 2}`;
  }

  node(name: string): NodeState | undefined {
    return this.nodes.find((n) => n.name === name);
  }

  addPod(p: Omit<PodState, 'seq'>): PodState {
    const pod: PodState = { ...p, seq: this.podSeq++ };
    this.pods.set(pod.key, pod);
    this.replicaSets.get(pod.rs)?.pods.add(pod.key);
    if (pod.node) this.node(pod.node)?.pods.add(pod.key);
    return pod;
  }

  removePod(key: string): void {
    const p = this.pods.get(key);
    if (!p) return;
    this.pods.delete(key);
    this.crashing.delete(key);
    this.replicaSets.get(p.rs)?.pods.delete(key);
    if (p.node) this.node(p.node)?.pods.delete(key);
  }

  /** Pods of a ReplicaSet that are not terminating. */
  activePods(rsKey: string): PodState[] {
    const rs = this.replicaSets.get(rsKey);
    if (!rs) return [];
    const out: PodState[] = [];
    for (const k of rs.pods) {
      const p = this.pods.get(k);
      if (p && !p.terminating) out.push(p);
    }
    return out;
  }

  /** Live apps (not being deleted), in insertion order. */
  liveApps(): AppState[] {
    return [...this.apps.values()].filter((a) => !a.deleted);
  }
}
