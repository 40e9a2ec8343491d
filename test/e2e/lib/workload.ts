/**
 * A workload on the real control plane, the way people change a cluster: Deployments created,
 * scaled (the scale subresource, as `kubectl scale` does), rolled out (a new image, as
 * `kubectl set image` does) and deleted; ConfigMaps edited (patch and update), deleted and
 * recreated under the same name; Secrets created, edited and deleted (the audit policy logs them
 * at Metadata level: no body); pods deleted; a node cordoned and uncordoned. The controllers,
 * the scheduler and kwok turn each action into many more changes. With `kinds`
 * (workload-kinds.ts), every other way a cluster changes too: custom resources and their
 * subresources, server-side apply, StatefulSets, Jobs, EndpointSlices, volumes, RBAC, HPAs,
 * `kubectl replace` and `delete --all`, a namespace deleted whole.
 *
 * Actions fail now and then (the apiserver restarts mid-run, an object is already gone); a
 * failure is counted and the run goes on.
 */
import { sleep } from './clock.ts';
import type { KubeClient } from './kube.ts';
import { RESOURCES, apiPath } from './resources.ts';
import type { KindsWorkload } from './workload-kinds.ts';

export interface WorkloadOptions {
  kube: KubeClient;
  namespace: string;
  /** The node cordoned and uncordoned. */
  node: string;
  /** Pause between actions, ms: drawn uniformly from [min, max]. */
  pauseMs: readonly [number, number];
  random?: () => number;
  /** The broadened workload's actions, drawn among these. */
  kinds?: KindsWorkload;
}

export interface WorkloadStats {
  actions: Record<string, number>;
  failures: Record<string, number>;
}

const STRATEGIC = 'application/strategic-merge-patch+json';
const MERGE = 'application/merge-patch+json';

export class Workload {
  readonly #o: WorkloadOptions;
  readonly #rnd: () => number;
  readonly stats: WorkloadStats = { actions: {}, failures: {} };
  readonly deployments = new Set<string>();
  readonly configMaps = new Set<string>();
  readonly secrets = new Set<string>();
  /** Every name this workload ever gave an object (the prober also asks for gone ones). */
  readonly everDeployments = new Set<string>();
  readonly everConfigMaps = new Set<string>();
  #nextDeploy = 0;
  #nextCm = 0;
  #nextSecret = 0;
  #image = 1;
  #cordoned = false;
  #running = false;
  #paused = false;
  #loop: Promise<void> | undefined;
  #inflight: Promise<void> = Promise.resolve();

  constructor(opts: WorkloadOptions) {
    this.#o = opts;
    this.#rnd = opts.random ?? Math.random;
  }

  get cordoned(): boolean {
    return this.#cordoned;
  }

  /** Creates the starting objects, then acts until stop(). */
  async start(): Promise<void> {
    await this.#createDeployment(2);
    await this.#createDeployment(1);
    for (let i = 0; i < 3; i++) await this.#createConfigMap();
    await this.#o.kinds?.setUp('web-0');
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Lets the action in flight finish, then holds. */
  async pause(): Promise<void> {
    this.#paused = true;
    await this.#inflight;
  }

  resume(): void {
    this.#paused = false;
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }

  /**
   * A fixed burst of changes, between the actions of the loop: two scales and a rollout of one
   * Deployment, two edits of one ConfigMap, one pod deleted. Run while kubetime is down, it makes
   * sure there are intermediate revisions that no later list can show.
   */
  async burst(): Promise<void> {
    await this.pause();
    try {
      const d = [...this.deployments][0];
      if (d) {
        const current = await this.#o.kube.ok('GET', `${apiPath(RESOURCES.deployments, this.#ns, d)}/scale`);
        const n = Number(current.spec?.replicas ?? 1);
        await this.#scale(d, n + 1);
        await this.#scale(d, n);
        await this.#rollout(d);
      }
      const cm = [...this.configMaps][0];
      if (cm) {
        await this.#editConfigMap(cm);
        await this.#editConfigMap(cm);
      }
      await this.#deletePod();
      this.stats.actions.burst = (this.stats.actions.burst ?? 0) + 1;
    } finally {
      this.resume();
    }
  }

  /** Uncordons the node if this workload left it cordoned. */
  async restoreNode(): Promise<void> {
    if (this.#cordoned) await this.#setCordon(false);
  }

  async #run(): Promise<void> {
    const [lo, hi] = this.#o.pauseMs;
    while (this.#running) {
      await sleep(lo + (hi - lo) * this.#rnd());
      if (!this.#running) break;
      if (this.#paused) continue;
      const name = this.#pick();
      const action = this.#act(name).then(
        () => void (this.stats.actions[name] = (this.stats.actions[name] ?? 0) + 1),
        () => void (this.stats.failures[name] = (this.stats.failures[name] ?? 0) + 1),
      );
      this.#inflight = action;
      await action;
    }
  }

  #pick(): string {
    const d = this.deployments.size;
    const weights: [string, number][] = [
      ['createDeployment', d < 2 ? 4 : d < 4 ? 1 : 0],
      ['scaleDeployment', d ? 3 : 0],
      ['rolloutDeployment', d ? 2 : 0],
      ['deleteDeployment', d >= 3 ? 1 : 0],
      ['editConfigMap', this.configMaps.size ? 4 : 0],
      ['replaceConfigMap', this.configMaps.size ? 1 : 0],
      ['createConfigMap', this.configMaps.size < 4 ? 1 : 0],
      ['deleteConfigMap', this.configMaps.size >= 2 ? 1 : 0],
      ['createSecret', this.secrets.size < 2 ? 2 : 0],
      ['editSecret', this.secrets.size ? 2 : 0],
      ['deleteSecret', this.secrets.size >= 2 ? 1 : 0],
      ['deletePod', 2],
      ['evictPod', 1],
      ['toggleCordon', 1],
      ...(this.#o.kinds?.weights() ?? []),
    ];
    const total = weights.reduce((s, [, w]) => s + w, 0);
    let x = this.#rnd() * total;
    for (const [n, w] of weights) {
      if ((x -= w) < 0) return n;
    }
    return 'deletePod';
  }

  #any<T>(set: Set<T>): T {
    const all = [...set];
    return all[Math.floor(this.#rnd() * all.length)]!;
  }

  async #act(name: string): Promise<void> {
    switch (name) {
      case 'createDeployment': return this.#createDeployment(1 + Math.floor(this.#rnd() * 3));
      case 'scaleDeployment': return this.#scale(this.#any(this.deployments), 1 + Math.floor(this.#rnd() * 4));
      case 'rolloutDeployment': return this.#rollout(this.#any(this.deployments));
      case 'deleteDeployment': return this.#deleteDeployment(this.#any(this.deployments));
      case 'editConfigMap': return this.#editConfigMap(this.#any(this.configMaps));
      case 'replaceConfigMap': return this.#replaceConfigMap(this.#any(this.configMaps));
      case 'createConfigMap': return this.#createConfigMap();
      case 'deleteConfigMap': return this.#deleteConfigMap(this.#any(this.configMaps));
      case 'createSecret': return this.#createSecret();
      case 'editSecret': return this.#editSecret(this.#any(this.secrets));
      case 'deleteSecret': return this.#deleteSecret(this.#any(this.secrets));
      case 'deletePod': return this.#deletePod();
      case 'evictPod': return this.#deletePod(true);
      case 'toggleCordon': return this.#setCordon(!this.#cordoned);
      default:
        if (this.#o.kinds) return this.#o.kinds.act(name);
        throw new Error(`unknown action ${name}`);
    }
  }

  get #ns(): string {
    return this.#o.namespace;
  }

  async #createDeployment(replicas: number): Promise<void> {
    const name = `web-${this.#nextDeploy++}`;
    const labels = { app: name };
    await this.#o.kube.ok('POST', apiPath(RESOURCES.deployments, this.#ns), {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, labels },
      spec: {
        replicas,
        selector: { matchLabels: labels },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
        template: {
          metadata: { labels },
          spec: { containers: [{ name: 'app', image: `registry.invalid/web:v${this.#image}` }], terminationGracePeriodSeconds: 5 },
        },
      },
    });
    this.deployments.add(name);
    this.everDeployments.add(name);
  }

  #scale(name: string, replicas: number): Promise<void> {
    return this.#o.kube.ok('PATCH', `${apiPath(RESOURCES.deployments, this.#ns, name)}/scale`, { spec: { replicas } }, MERGE);
  }

  #rollout(name: string): Promise<void> {
    const image = `registry.invalid/web:v${++this.#image}`;
    return this.#o.kube.ok('PATCH', apiPath(RESOURCES.deployments, this.#ns, name), { spec: { template: { spec: { containers: [{ name: 'app', image }] } } } }, STRATEGIC);
  }

  async #deleteDeployment(name: string): Promise<void> {
    this.deployments.delete(name);
    await this.#o.kube.ok('DELETE', apiPath(RESOURCES.deployments, this.#ns, name), { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' });
  }

  async #createConfigMap(): Promise<void> {
    // Names are reused after a delete, so one name has several lives (uids).
    const free = [...this.everConfigMaps].filter((n) => !this.configMaps.has(n));
    const name = free.length && this.#rnd() < 0.5 ? free[0]! : `cfg-${this.#nextCm++}`;
    await this.#o.kube.ok('POST', apiPath(RESOURCES.configmaps, this.#ns), {
      apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { app: 'cfg' } }, data: { created: new Date().toISOString() },
    });
    this.configMaps.add(name);
    this.everConfigMaps.add(name);
  }

  #editConfigMap(name: string): Promise<void> {
    const key = `k${Math.floor(this.#rnd() * 4)}`;
    return this.#o.kube.ok('PATCH', apiPath(RESOURCES.configmaps, this.#ns, name), { data: { [key]: String(this.#rnd()) } }, MERGE);
  }

  async #replaceConfigMap(name: string): Promise<void> {
    const path = apiPath(RESOURCES.configmaps, this.#ns, name);
    const cm = await this.#o.kube.ok('GET', path);
    cm.data = { replaced: String(this.#rnd()) };
    cm.metadata.annotations = { ...cm.metadata.annotations, 'example.com/edited': new Date().toISOString() };
    await this.#o.kube.ok('PUT', path, cm);
  }

  async #deleteConfigMap(name: string): Promise<void> {
    this.configMaps.delete(name);
    await this.#o.kube.ok('DELETE', apiPath(RESOURCES.configmaps, this.#ns, name));
  }

  async #createSecret(): Promise<void> {
    const name = `sec-${this.#nextSecret++}`;
    await this.#o.kube.ok('POST', `/api/v1/namespaces/${this.#ns}/secrets`, { apiVersion: 'v1', kind: 'Secret', metadata: { name }, stringData: { password: String(this.#rnd()) } });
    this.secrets.add(name);
  }

  #editSecret(name: string): Promise<void> {
    return this.#o.kube.ok('PATCH', `/api/v1/namespaces/${this.#ns}/secrets/${name}`, { stringData: { password: String(this.#rnd()) } }, MERGE);
  }

  async #deleteSecret(name: string): Promise<void> {
    this.secrets.delete(name);
    await this.#o.kube.ok('DELETE', `/api/v1/namespaces/${this.#ns}/secrets/${name}`);
  }

  /** Deletes a live pod, or evicts it as `kubectl drain` does (the Eviction API). */
  async #deletePod(evict = false): Promise<void> {
    const list = await this.#o.kube.ok('GET', apiPath(RESOURCES.pods, this.#ns));
    const live = (list.items as { metadata: { name: string; deletionTimestamp?: string } }[]).filter((p) => !p.metadata.deletionTimestamp);
    if (!live.length) return;
    const { name } = live[Math.floor(this.#rnd() * live.length)]!.metadata;
    if (!evict) await this.#o.kube.ok('DELETE', apiPath(RESOURCES.pods, this.#ns, name));
    else await this.#o.kube.ok('POST', `${apiPath(RESOURCES.pods, this.#ns, name)}/eviction`, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: this.#ns } });
  }

  async #setCordon(on: boolean): Promise<void> {
    await this.#o.kube.ok('PATCH', apiPath(RESOURCES.nodes, undefined, this.#o.node), { spec: { unschedulable: on ? true : null } }, STRATEGIC);
    this.#cordoned = on;
  }
}
