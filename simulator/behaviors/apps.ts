/**
 * Applications: everything one team deploys (ServiceAccount, ConfigMap, Secret, optional PVC,
 * Service, optional Ingress and HPA, Deployment), created at bootstrap as already running, or
 * later by a person (then the controllers roll it out), and deleted with cascading cleanup.
 */
import type { KubeObject } from '../../k8s/object.ts';
import { ACTORS, type Actor } from '../actors.ts';
import { configMap, ingress, secret, service, serviceAccount } from '../manifests/app.ts';
import type { AppSpec, Lang, Tier } from '../manifests/app-spec.ts';
import { podTemplate } from '../manifests/pod-template.ts';
import { deployment, deploymentStatus, hpa, replicaSet, replicaSetStatus, templateHash } from '../manifests/workloads.ts';
import type { Sim } from '../sim.ts';
import { keyOf, type AppState } from '../world.ts';
import { chooseNode, createPod, deletePod, schedulePod } from './pods.ts';
import { createClaim, deleteClaim } from './storage.ts';

type Obj = Record<string, any>;

const NAMES = [
  'checkout', 'payments', 'cart', 'catalog', 'frontend', 'api-gateway', 'auth', 'search', 'recommendations', 'inventory',
  'shipping', 'notifications', 'orders', 'reviews', 'ads', 'currency', 'email', 'users', 'billing', 'analytics',
  'pricing', 'loyalty', 'media', 'quotes', 'fraud-check', 'ledger', 'webhooks', 'reports', 'session', 'profile',
];
const LANGS: Lang[] = ['go', 'java', 'node', 'python'];
const PORTS: Record<Lang, number> = { go: 8080, java: 8080, node: 3000, python: 8000 };
const TEAMS = ['storefront', 'payments', 'platform', 'data', 'growth', 'identity'];

/** Namespace names for the scenario (first the friendly ones, then numbered). */
export function namespaceNames(n: number): string[] {
  const base = ['shop', 'payments', 'platform', 'data', 'web', 'mobile-api', 'ml', 'internal-tools'];
  return Array.from({ length: n }, (_, i) => base[i] ?? `team-${i + 1}`);
}

/** A fresh app description in `namespace`, with a name not used there before. */
export function newAppSpec(sim: Sim, namespace: string): AppSpec {
  let name = sim.rng.pick(NAMES);
  for (let i = 2; sim.world.usedNames.has(keyOf(namespace, name)); i++) name = `${sim.rng.pick(NAMES)}-${i}`;
  sim.world.usedNames.add(keyOf(namespace, name));
  const lang = sim.rng.pick(LANGS);
  const tier: Tier = name.includes('frontend') || name.includes('gateway') ? 'frontend' : sim.rng.chance(0.2) ? 'worker' : 'backend';
  const spec: AppSpec = {
    namespace, name, tier, lang, team: sim.rng.pick(TEAMS), port: PORTS[lang],
    image: `registry.example.com/${namespace}/${name}`, tag: `v${sim.rng.int(1, 3)}.${sim.rng.int(0, 14)}.${sim.rng.int(0, 9)}`,
    configMap: `${name}-config`, secret: `${name}-secrets`,
  };
  if (sim.rng.chance(0.25)) spec.pvc = `${name}-data`;
  if (sim.rng.chance(0.4)) spec.sidecar = sim.rng.chance(0.5) ? 'envoy' : 'fluent-bit';
  return spec;
}

function createSupport(sim: Sim, app: AppState, actor: Actor, bootstrap: boolean): void {
  const ctx = sim.ctx(actor, 'create');
  sim.cluster.create(serviceAccount(app), ctx);
  sim.cluster.create(configMap(app, 'info', 'new-checkout=false,fast-search=true'), ctx);
  sim.cluster.create(secret(app, sim.rng.hex(24), sim.rng.hex(32)), ctx);
  if (app.pvc) createClaim(sim, { namespace: app.namespace, name: app.pvc, storage: '10Gi', labels: { app: app.name }, actor, immediate: bootstrap });
  sim.cluster.create(service(app, sim.world.nextServiceIp()), ctx);
  if (app.ingress) sim.cluster.create(ingress(app, `${app.name}.${app.namespace}.example.com`, ['/']), ctx);
  if (app.hpa) {
    sim.cluster.create(hpa({ app, min: app.hpa.min, max: app.hpa.max, current: app.replicas, utilization: sim.rng.int(35, 65), time: sim.time() }), ctx);
  }
}

/** Creates an app. At bootstrap it appears fully rolled out; otherwise the controllers roll it out. */
export function createApp(sim: Sim, init: { namespace: string; replicas: number; actor: Actor; bootstrap: boolean }): AppState {
  const spec = newAppSpec(sim, init.namespace);
  const app: AppState = { ...spec, key: keyOf(spec.namespace, spec.name), replicas: init.replicas, replicaSets: [], badTags: new Set(), goodTag: spec.tag, revision: 0 };
  if (spec.tier === 'frontend' || sim.rng.chance(0.25)) app.ingress = app.name;
  if (sim.rng.chance(0.4)) app.hpa = { min: Math.max(1, init.replicas), max: Math.max(2, init.replicas * 3) };
  sim.world.apps.set(app.key, app);
  createSupport(sim, app, init.actor, init.bootstrap);
  const template = podTemplate(app);
  const dep = deployment(app, template, init.replicas);
  if (init.bootstrap) {
    dep.status = deploymentStatus(undefined, {
      observedGeneration: 1, replicas: init.replicas, updatedReplicas: init.replicas, readyReplicas: init.replicas, desired: init.replicas,
      newReplicaSet: `${app.name}-${templateHash(template)}`, time: sim.time(), stalled: false, complete: true,
    });
  }
  const created = sim.cluster.create(dep, sim.ctx(init.actor, 'create'));
  if (init.bootstrap) bootstrapReplicaSet(sim, app, created, template);
  else sim.ctl.syncDeployment(app.key);
  return app;
}

function bootstrapReplicaSet(sim: Sim, app: AppState, dep: KubeObject, template: KubeObject): void {
  const hash = templateHash(template);
  const meta = dep.metadata as Obj;
  app.revision = 1;
  const rsObj = replicaSet({ app, template, hash, replicas: app.replicas, revision: 1, desired: app.replicas, owner: { name: meta.name, uid: meta.uid } });
  rsObj.status = replicaSetStatus(1, app.replicas, app.replicas);
  const rs = sim.cluster.create(rsObj, sim.ctx(ACTORS.deploymentController, 'create'));
  const rsKey = keyOf(app.namespace, `${app.name}-${hash}`);
  const st = { key: rsKey, namespace: app.namespace, name: `${app.name}-${hash}`, app: app.key, hash, pods: new Set<string>() };
  sim.world.replicaSets.set(rsKey, st);
  app.replicaSets.push(rsKey);
  for (let i = 0; i < app.replicas; i++) {
    const node = chooseNode(sim);
    const p = createPod(sim, st, rs, node);
    if (!node) sim.after(sim.jitter(0.1, 1), () => schedulePod(sim, p.key));
  }
}

/** Deletes an app the way `kubectl delete -f` and the garbage collector would. */
export function deleteApp(sim: Sim, app: AppState, actor: Actor): void {
  app.deleted = true;
  const del = (gk: string, name: string, who: Actor = actor) => sim.tryWrite(() => sim.cluster.delete(gk, app.namespace, name, sim.ctx(who, 'delete')));
  del('Deployment.apps', app.name);
  sim.after(sim.jitter(0.2, 1), () => {
    for (const rsKey of app.replicaSets) {
      const st = sim.world.replicaSets.get(rsKey);
      if (!st) continue;
      del('ReplicaSet.apps', st.name, ACTORS.garbageCollector);
      for (const podKey of [...st.pods]) deletePod(sim, podKey, ACTORS.garbageCollector);
      sim.world.replicaSets.delete(rsKey);
    }
  });
  if (app.hpa) del('HorizontalPodAutoscaler.autoscaling', app.name);
  if (app.ingress) del('Ingress.networking.k8s.io', app.ingress);
  del('Service', app.name);
  del('ConfigMap', app.configMap);
  del('Secret', app.secret);
  del('ServiceAccount', app.name);
  if (app.pvc) deleteClaim(sim, app.namespace, app.pvc, actor);
  sim.after(60, () => sim.world.apps.delete(app.key));
}
