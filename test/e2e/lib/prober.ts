/**
 * The prober: at random moments it asks kube-apiserver for one object (GET) or a list (LIST) and
 * records what came back with the instants just before the request was sent (t0) and once the
 * whole answer had arrived (t1). Those answers are the truth kubetime is later held to.
 */
import { sleep, type Micros } from './clock.ts';
import type { KubeClient } from './kube.ts';
import { RESOURCES, apiPath, type ResourceDef, type ResourceName } from './resources.ts';

export interface Probe {
  id: number;
  op: 'get' | 'list';
  resource: ResourceName;
  /** The namespace of namespaced resources. */
  namespace?: string;
  name?: string;
  labelSelector?: string;
  t0: Micros;
  t1: Micros;
  status: number;
  /** Part of the final sweep (every name once, after the run settled), not of the random probes. */
  sweep?: boolean;
  /** GET 200: the object as served. */
  object?: any;
  /**
   * LIST 200: the items as served, with `apiVersion` and `kind` added — kube-apiserver leaves them
   * out of list items (they are the list's), while kubetime returns every item as a whole manifest.
   * This is the only normalisation applied to what the apiserver answered.
   */
  items?: any[];
}

export interface ProberOptions {
  kube: KubeClient;
  namespace: string;
  /** GETs of nodes go to these; LISTs of nodes use `nodeSelector`. */
  nodes: readonly string[];
  nodeSelector: string;
  /** Names worth asking for besides those the prober saw in lists (the workload's, gone ones too). */
  names: () => Partial<Record<ResourceName, Iterable<string>>>;
  /** Pause between probes, ms, drawn uniformly from [min, max]. */
  pauseMs: readonly [number, number];
  random?: () => number;
}

const PLAN: [op: Probe['op'], resource: ResourceName, weight: number][] = [
  ['get', 'deployments', 2], ['get', 'configmaps', 2], ['get', 'pods', 2], ['get', 'replicasets', 1], ['get', 'nodes', 1],
  ['list', 'pods', 2], ['list', 'deployments', 1], ['list', 'configmaps', 1], ['list', 'replicasets', 1], ['list', 'nodes', 1],
];

export class Prober {
  readonly #o: ProberOptions;
  readonly #rnd: () => number;
  readonly probes: Probe[] = [];
  /** Requests that got no answer (the apiserver was restarting); not probes. */
  failedRequests = 0;
  readonly #seen: Record<ResourceName, Set<string>> = { pods: new Set(), configmaps: new Set(), deployments: new Set(), replicasets: new Set(), nodes: new Set() };
  #running = false;
  #loop: Promise<void> | undefined;

  constructor(opts: ProberOptions) {
    this.#o = opts;
    this.#rnd = opts.random ?? Math.random;
  }

  start(): void {
    this.#running = true;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }

  async #run(): Promise<void> {
    const [lo, hi] = this.#o.pauseMs;
    while (this.#running) {
      await sleep(lo + (hi - lo) * this.#rnd());
      if (!this.#running) break;
      const [op, resource] = this.#pick();
      try {
        const p = op === 'get' ? await this.#get(resource) : await this.#list(resource);
        if (p) this.probes.push(p);
      } catch {
        this.failedRequests++;
      }
    }
  }

  /**
   * The final sweep: one GET of every name the run ever gave an object (gone ones too) and one
   * LIST of each resource, so the present is held to the same standard as the past.
   */
  async sweep(names: Partial<Record<ResourceName, Iterable<string>>>): Promise<void> {
    for (const resource of Object.keys(RESOURCES) as ResourceName[]) {
      const all = new Set([...this.#seen[resource], ...(names[resource] ?? []), ...(this.#o.names()[resource] ?? [])]);
      if (resource === 'nodes') for (const n of this.#o.nodes) all.add(n);
      for (const name of all) {
        const p = await this.#get(resource, name);
        if (p) this.probes.push({ ...p, sweep: true });
      }
      this.probes.push({ ...(await this.#list(resource)), sweep: true });
    }
  }

  #pick(): [Probe['op'], ResourceName] {
    const total = PLAN.reduce((s, [, , w]) => s + w, 0);
    let x = this.#rnd() * total;
    for (const [op, r, w] of PLAN) if ((x -= w) < 0) return [op, r];
    return ['list', 'pods'];
  }

  #nameFor(resource: ResourceName): string | undefined {
    if (resource === 'nodes') return this.#o.nodes[Math.floor(this.#rnd() * this.#o.nodes.length)];
    const names = new Set([...this.#seen[resource], ...(this.#o.names()[resource] ?? [])]);
    const all = [...names];
    return all.length ? all[Math.floor(this.#rnd() * all.length)] : undefined;
  }

  async #get(resource: ResourceName, given?: string): Promise<Probe | undefined> {
    const def = RESOURCES[resource];
    const name = given ?? this.#nameFor(resource);
    if (!name) return undefined;
    const ns = def.namespaced ? this.#o.namespace : undefined;
    const r = await this.#o.kube.request('GET', apiPath(def, ns, name));
    if (r.status !== 200 && r.status !== 404) throw new Error(`GET ${resource}/${name}: HTTP ${r.status}`);
    return {
      id: this.probes.length, op: 'get', resource, ...(ns ? { namespace: ns } : {}), name,
      t0: r.t0, t1: r.t1, status: r.status, ...(r.status === 200 ? { object: r.body } : {}),
    };
  }

  async #list(resource: ResourceName): Promise<Probe> {
    const def = RESOURCES[resource];
    const ns = def.namespaced ? this.#o.namespace : undefined;
    const selector = resource === 'nodes' ? this.#o.nodeSelector : undefined;
    const path = apiPath(def, ns) + (selector ? `?labelSelector=${encodeURIComponent(selector)}` : '');
    const r = await this.#o.kube.request('GET', path);
    if (r.status !== 200) throw new Error(`LIST ${resource}: HTTP ${r.status}`);
    const items = (r.body.items as any[]).map((item) => withTypeMeta(def, item));
    for (const item of items) this.#seen[resource].add(item.metadata.name);
    return {
      id: this.probes.length, op: 'list', resource, ...(ns ? { namespace: ns } : {}), ...(selector ? { labelSelector: selector } : {}),
      t0: r.t0, t1: r.t1, status: r.status, items,
    };
  }
}

/** A list item as a whole manifest: the list's apiVersion and kind put back (see Probe.items). */
function withTypeMeta(def: ResourceDef, item: any): any {
  return { apiVersion: def.apiVersion, kind: def.kind, ...item };
}
