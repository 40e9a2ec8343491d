/**
 * The fidelity workload's changes beyond Deployments, ConfigMaps, Secrets and pods (issue 15):
 * every way a user or a controller changes an object that attribution must follow.
 *
 * - a CRD (Gizmo, with scale and status subresources, a short name and the `all` category)
 *   created at the start, and custom resources made by server-side apply (a patch answered 201),
 *   re-applied by a second field manager taking a field over (force), scaled and given a status
 *   through their subresources, deleted one by one and with `kubectl delete --all`. The audit
 *   policy logs custom resources at Metadata level: no body, only who and when;
 * - server-side apply of ConfigMaps and Secrets (RequestResponse and Metadata level);
 * - a StatefulSet scaled up and down through its scale subresource;
 * - Jobs (the job controller makes their pods; deleted with a background cascade) and a CronJob;
 * - a Service (the EndpointSlice controller keeps its slices) and a hand-made EndpointSlice edited;
 * - PersistentVolumes and claims the PV controller binds;
 * - a Role and a RoleBinding edited, deleted and created again;
 * - an HPA on a Deployment edited (its controller writes its status);
 * - `kubectl replace` of a ConfigMap;
 * - a second namespace filled, then deleted whole: the namespace controller's deletecollections.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { sleep } from './clock.ts';
import type { KubeClient } from './kube.ts';

const exec = promisify(execFile);
const MERGE = 'application/merge-patch+json';
const APPLY = 'application/apply-patch+yaml';

export const GIZMO_GROUP = 'fidelity.kubetime.test';
const GIZMOS = `/apis/${GIZMO_GROUP}/v1`;

export interface KindsWorkloadOptions {
  kube: KubeClient;
  namespace: string;
  /** kubectl and the kubeconfig it uses (kube.sh builds it with the control plane). */
  kubectl: { bin: string; kubeconfig: string };
  random: () => number;
}

const GIZMO_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: `gizmos.${GIZMO_GROUP}` },
  spec: {
    group: GIZMO_GROUP, scope: 'Namespaced',
    names: { kind: 'Gizmo', plural: 'gizmos', singular: 'gizmo', shortNames: ['gzm'], categories: ['all'] },
    versions: [{
      name: 'v1', served: true, storage: true,
      subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } },
      schema: { openAPIV3Schema: { type: 'object', properties: {
        spec: { type: 'object', properties: { replicas: { type: 'integer' }, color: { type: 'string' }, size: { type: 'integer' } } },
        status: { type: 'object', properties: { replicas: { type: 'integer' }, phase: { type: 'string' } } },
      } } },
    }],
  },
};

export class KindsWorkload {
  readonly #o: KindsWorkloadOptions;
  readonly gizmos = new Set<string>();
  /** The namespaces this workload deleted whole (their changes count for the actors too). */
  readonly deletedNamespaces: string[] = [];
  readonly #volumes: string[] = [];
  #nextGizmo = 0;
  #nextJob = 0;
  #nextSsa = 0;
  #nextVolume = 0;
  #jobs: string[] = [];
  #roleBinding = true;
  /** The HPA, named after the Deployment it scales. */
  #hpa = '';
  #namespacesDeleted = 0;

  constructor(opts: KindsWorkloadOptions) {
    this.#o = opts;
  }

  get #ns(): string {
    return this.#o.namespace;
  }

  #rnd(n: number): number {
    return Math.floor(this.#o.random() * n);
  }

  #any<T>(set: Iterable<T>): T {
    const all = [...set];
    return all[this.#rnd(all.length)]!;
  }

  async kubectl(args: string[], stdin?: string): Promise<void> {
    const child = exec(this.#o.kubectl.bin, ['--kubeconfig', this.#o.kubectl.kubeconfig, ...args], { timeout: 30_000 });
    if (stdin !== undefined) child.child.stdin?.end(stdin);
    await child;
  }

  /** The CRD (established before its first custom resource) and the objects the actions change. */
  async setUp(deployment: string): Promise<void> {
    const k = this.#o.kube;
    const crd = await k.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', GIZMO_CRD);
    if (crd.status !== 201 && crd.status !== 409) throw new Error(`creating the Gizmo CRD: HTTP ${crd.status}`);
    for (let i = 0; ; i++) {
      const got = await k.ok('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gizmos.${GIZMO_GROUP}`);
      if (got.status?.conditions?.some((c: { type: string; status: string }) => c.type === 'Established' && c.status === 'True')) break;
      if (i > 100) throw new Error('the Gizmo CRD was not established within 20 s');
      await sleep(200);
    }
    for (let i = 0; i < 2; i++) await this.#applyGizmo();
    const ns = this.#ns;
    const labels = { app: 'db' };
    this.#hpa = deployment;
    await k.ok('POST', `/api/v1/namespaces/${ns}/services`, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'db' }, spec: { selector: labels, ports: [{ port: 5432 }], clusterIP: 'None' } });
    await k.ok('POST', `/apis/apps/v1/namespaces/${ns}/statefulsets`, {
      apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db' },
      spec: { serviceName: 'db', replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'db', image: 'registry.invalid/db:1' }], terminationGracePeriodSeconds: 2 } } },
    });
    await k.ok('POST', `/apis/batch/v1/namespaces/${ns}/cronjobs`, {
      apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'tick' },
      spec: { schedule: '*/1 * * * *', successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 1, jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'tick', image: 'registry.invalid/tick:1' }] } } } } },
    });
    await k.ok('POST', `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`, {
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'external', labels: { 'endpointslice.kubernetes.io/managed-by': 'fidelity' } },
      addressType: 'IPv4', ports: [{ name: 'http', port: 80, protocol: 'TCP' }], endpoints: [{ addresses: ['10.0.0.1'] }],
    });
    await k.ok('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`, {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'reader' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }],
    });
    await this.#createRoleBinding();
    await k.ok('POST', `/apis/autoscaling/v2/namespaces/${ns}/horizontalpodautoscalers`, {
      apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: deployment },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment }, minReplicas: 1, maxReplicas: 3, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }] },
    });
    await this.#bindVolume();
  }

  /** What this workload may do next, with weights (Workload draws among its own and these). */
  weights(): [string, number][] {
    const g = this.gizmos.size;
    return [
      ['applyGizmo', g < 4 ? 3 : 1],
      ['forceApplyGizmo', g ? 2 : 0],
      ['scaleGizmo', g ? 2 : 0],
      ['statusGizmo', g ? 2 : 0],
      ['deleteGizmo', g >= 3 ? 1 : 0],
      ['deleteAllGizmos', g >= 4 ? 0.3 : 0],
      ['applyConfigMap', 1],
      ['applySecret', 1],
      ['scaleStatefulSet', 2],
      ['createJob', this.#jobs.length < 2 ? 1 : 0],
      ['deleteJob', this.#jobs.length ? 0.5 : 0],
      ['editEndpointSlice', 1],
      ['editRbac', 1],
      ['editHpa', 1],
      ['bindVolume', this.#volumes.length < 3 ? 0.3 : 0],
      ['kubectlReplace', 1],
      ['deleteNamespaceWhole', this.#namespacesDeleted < 2 ? 0.15 : 0],
    ];
  }

  act(name: string): Promise<void> {
    switch (name) {
      case 'applyGizmo': return this.#applyGizmo();
      case 'forceApplyGizmo': return this.#forceApplyGizmo(this.#any(this.gizmos));
      case 'scaleGizmo': return this.#o.kube.ok('PATCH', `${GIZMOS}/namespaces/${this.#ns}/gizmos/${this.#any(this.gizmos)}/scale`, { spec: { replicas: 1 + this.#rnd(5) } }, MERGE);
      case 'statusGizmo': return this.#o.kube.ok('PATCH', `${GIZMOS}/namespaces/${this.#ns}/gizmos/${this.#any(this.gizmos)}/status`, { status: { phase: this.#any(['Ready', 'Degraded', 'Pending']), replicas: this.#rnd(5) } }, MERGE);
      case 'deleteGizmo': return this.#deleteGizmo(this.#any(this.gizmos));
      case 'deleteAllGizmos': return this.#deleteAllGizmos();
      case 'applyConfigMap': return this.#applyNamed('configmaps', 'ConfigMap', `ssa-cm-${this.#rnd(3)}`, { data: { v: String(this.#nextSsa++) } });
      case 'applySecret': return this.#applyNamed('secrets', 'Secret', `ssa-sec-${this.#rnd(2)}`, { stringData: { token: String(this.#nextSsa++) } });
      case 'scaleStatefulSet': return this.#o.kube.ok('PATCH', `/apis/apps/v1/namespaces/${this.#ns}/statefulsets/db/scale`, { spec: { replicas: this.#rnd(4) } }, MERGE);
      case 'createJob': return this.#createJob();
      case 'deleteJob': return this.#deleteJob();
      case 'editEndpointSlice': return this.#o.kube.ok('PATCH', `/apis/discovery.k8s.io/v1/namespaces/${this.#ns}/endpointslices/external`, { endpoints: [{ addresses: [`10.0.0.${1 + this.#rnd(200)}`] }] }, MERGE);
      case 'editRbac': return this.#editRbac();
      case 'editHpa': return this.#o.kube.ok('PATCH', `/apis/autoscaling/v2/namespaces/${this.#ns}/horizontalpodautoscalers/${this.#hpa}`, { spec: { maxReplicas: 3 + this.#rnd(4) } }, MERGE);
      case 'bindVolume': return this.#bindVolume();
      case 'kubectlReplace': return this.#kubectlReplace();
      case 'deleteNamespaceWhole': return this.deleteNamespaceWhole();
      default: throw new Error(`unknown action ${name}`);
    }
  }

  /** Server-side apply of a new Gizmo, as `kubectl apply --server-side` does (a patch answered 201). */
  async #applyGizmo(): Promise<void> {
    const name = `gizmo-${this.#nextGizmo++}`;
    await this.#o.kube.ok('PATCH', `${GIZMOS}/namespaces/${this.#ns}/gizmos/${name}?fieldManager=fidelity-a`, { apiVersion: `${GIZMO_GROUP}/v1`, kind: 'Gizmo', metadata: { name }, spec: { replicas: 1, color: 'red', size: 1 } }, APPLY);
    this.gizmos.add(name);
  }

  /** A second field manager takes `color` over from the first (a conflict, forced). */
  #forceApplyGizmo(name: string): Promise<void> {
    return this.#o.kube.ok('PATCH', `${GIZMOS}/namespaces/${this.#ns}/gizmos/${name}?fieldManager=fidelity-b&force=true`, { apiVersion: `${GIZMO_GROUP}/v1`, kind: 'Gizmo', metadata: { name }, spec: { color: this.#any(['blue', 'green', 'amber']) } }, APPLY);
  }

  async #deleteGizmo(name: string): Promise<void> {
    this.gizmos.delete(name);
    await this.#o.kube.ok('DELETE', `${GIZMOS}/namespaces/${this.#ns}/gizmos/${name}`);
  }

  async #deleteAllGizmos(): Promise<void> {
    this.gizmos.clear();
    await this.kubectl(['delete', 'gizmos', '--all', '-n', this.#ns, '--wait=false']);
  }

  #applyNamed(resource: string, kind: string, name: string, body: Record<string, unknown>): Promise<void> {
    return this.#o.kube.ok('PATCH', `/api/v1/namespaces/${this.#ns}/${resource}/${name}?fieldManager=fidelity-apply&force=true`, { apiVersion: 'v1', kind, metadata: { name }, ...body }, APPLY);
  }

  async #createJob(): Promise<void> {
    const name = `job-${this.#nextJob++}`;
    await this.#o.kube.ok('POST', `/apis/batch/v1/namespaces/${this.#ns}/jobs`, {
      apiVersion: 'batch/v1', kind: 'Job', metadata: { name },
      spec: { backoffLimit: 0, template: { spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 2, containers: [{ name: 'job', image: 'registry.invalid/job:1' }] } } },
    });
    this.#jobs.push(name);
  }

  async #deleteJob(): Promise<void> {
    const name = this.#jobs.shift()!;
    await this.#o.kube.ok('DELETE', `/apis/batch/v1/namespaces/${this.#ns}/jobs/${name}`, { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' });
  }

  #createRoleBinding(): Promise<void> {
    return this.#o.kube.ok('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${this.#ns}/rolebindings`, {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'reader' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' }, subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: this.#ns }],
    });
  }

  async #editRbac(): Promise<void> {
    const r = this.#rnd(3);
    if (r === 0) {
      await this.#o.kube.ok('PATCH', `/apis/rbac.authorization.k8s.io/v1/namespaces/${this.#ns}/roles/reader`, { rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: this.#rnd(2) ? ['get'] : ['get', 'list'] }] }, MERGE);
    } else if (this.#roleBinding) {
      this.#roleBinding = false;
      await this.#o.kube.ok('DELETE', `/apis/rbac.authorization.k8s.io/v1/namespaces/${this.#ns}/rolebindings/reader`);
    } else {
      await this.#createRoleBinding();
      this.#roleBinding = true;
    }
  }

  /** A PersistentVolume and a claim for it; the PV controller binds them (both change). */
  async #bindVolume(): Promise<void> {
    const n = this.#nextVolume++;
    const pv = `${this.#ns}-pv-${n}`;
    const storageClassName = `fidelity-${this.#ns}`;
    await this.#o.kube.ok('POST', '/api/v1/persistentvolumes', {
      apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: pv },
      spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Retain', storageClassName, hostPath: { path: `/tmp/${pv}` } },
    });
    this.#volumes.push(pv);
    await this.#o.kube.ok('POST', `/api/v1/namespaces/${this.#ns}/persistentvolumeclaims`, {
      apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: `data-${n}` },
      spec: { accessModes: ['ReadWriteOnce'], storageClassName, volumeName: pv, resources: { requests: { storage: '1Gi' } } },
    });
  }

  /** `kubectl replace -f -` of a ConfigMap made here (a PUT with the whole object). */
  async #kubectlReplace(): Promise<void> {
    const name = `replaced-${this.#rnd(2)}`;
    const path = `/api/v1/namespaces/${this.#ns}/configmaps/${name}`;
    const got = await this.#o.kube.request('GET', path);
    if (got.status === 404) {
      await this.#o.kube.ok('POST', `/api/v1/namespaces/${this.#ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { v: '0' } });
      return;
    }
    const cm = got.body as { metadata: Record<string, unknown>; data?: Record<string, string> };
    const manifest = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: this.#ns, resourceVersion: cm.metadata.resourceVersion }, data: { v: String(this.#rnd(1000)) } };
    await this.kubectl(['replace', '-f', '-'], JSON.stringify(manifest));
  }

  /**
   * A namespace with a few objects of several kinds, deleted whole: the namespace controller
   * removes them with deletecollection requests (custom resources and Secrets at Metadata level).
   */
  async deleteNamespaceWhole(): Promise<void> {
    const k = this.#o.kube;
    const gone = `${this.#ns}-gone-${this.#namespacesDeleted++}`;
    await k.ok('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: gone } });
    this.deletedNamespaces.push(gone);
    for (let i = 0; i < 2; i++) {
      await k.ok('POST', `/api/v1/namespaces/${gone}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}` }, data: { i: String(i) } });
      await k.ok('PATCH', `${GIZMOS}/namespaces/${gone}/gizmos/g-${i}?fieldManager=fidelity-a`, { apiVersion: `${GIZMO_GROUP}/v1`, kind: 'Gizmo', metadata: { name: `g-${i}` }, spec: { replicas: 1 } }, APPLY);
    }
    await k.ok('POST', `/api/v1/namespaces/${gone}/secrets`, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'token' }, stringData: { t: 'x' } });
    await k.ok('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${gone}/roles`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'r' }, rules: [] });
    await sleep(1500);
    await k.ok('DELETE', `/api/v1/namespaces/${gone}`);
  }

  /** Removes what outlives the run's namespace: the PersistentVolumes (the CRD stays for the next run). Throws while the apiserver is unreachable. */
  async tearDown(): Promise<void> {
    for (const pv of this.#volumes) await this.#o.kube.request('DELETE', `/api/v1/persistentvolumes/${pv}`);
    for (const ns of this.deletedNamespaces) await this.#o.kube.request('DELETE', `/api/v1/namespaces/${ns}`);
  }
}
