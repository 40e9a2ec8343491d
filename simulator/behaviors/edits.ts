/**
 * People and bots editing configuration: ConfigMap tweaks, Secret rotation (both sometimes
 * followed by a rollout restart), Service and Ingress edits, Widget (custom resource) edits,
 * and deleting a pod by hand.
 */
import { ACTORS } from '../actors.ts';
import { secretValue } from '../manifests/app.ts';
import type { Sim } from '../sim.ts';
import type { AppState } from '../world.ts';
import { deletePod } from './pods.ts';
import { rolloutRestart } from './rollouts.ts';

type Obj = Record<string, any>;

const LOG_LEVELS = ['info', 'debug', 'warn', 'error'];
const FLAGS = ['new-checkout', 'fast-search', 'dark-mode', 'async-email', 'beta-pricing'];

function someApp(sim: Sim, filter: (a: AppState) => boolean = () => true): AppState | undefined {
  const apps = sim.world.liveApps().filter(filter);
  return apps.length ? sim.rng.pick(apps) : undefined;
}

export function configEdit(sim: Sim): boolean {
  const app = someApp(sim);
  if (!app) return false;
  const actor = sim.rng.chance(0.6) ? ACTORS.alice : ACTORS.bob;
  const level = sim.rng.pick(LOG_LEVELS);
  const flags = FLAGS.filter(() => sim.rng.chance(0.5)).map((f) => `${f}=${sim.rng.chance(0.5)}`).join(',');
  sim.cluster.update('ConfigMap', app.namespace, app.configMap, (o) => {
    const data = o.data as Obj;
    if (sim.rng.chance(0.5)) data.LOG_LEVEL = level === data.LOG_LEVEL ? 'info' : level;
    else data.FEATURE_FLAGS = flags;
  }, sim.ctx(actor, 'patch'));
  if (sim.rng.chance(0.4)) sim.after(sim.jitter(5, 20), () => rolloutRestart(sim, app, actor));
  return true;
}

export function secretRotate(sim: Sim): boolean {
  const app = someApp(sim);
  if (!app) return false;
  const password = sim.rng.hex(24);
  sim.cluster.update('Secret', app.namespace, app.secret, (o) => {
    (o.data as Obj)['db-password'] = secretValue(password);
    (o.metadata as Obj).annotations = { 'rotator.example.com/rotated-at': sim.time() };
  }, sim.ctx(ACTORS.secretRotator, 'update'));
  if (sim.rng.chance(0.5)) sim.after(sim.jitter(2, 10), () => rolloutRestart(sim, app, ACTORS.secretRotator));
  return true;
}

export function networkEdit(sim: Sim): boolean {
  const withIngress = sim.rng.chance(0.5);
  const app = someApp(sim, (a) => !withIngress || a.ingress !== undefined);
  if (!app) return false;
  const actor = sim.rng.chance(0.5) ? ACTORS.bob : ACTORS.ci;
  if (withIngress) {
    sim.cluster.update('Ingress.networking.k8s.io', app.namespace, app.ingress!, (o) => {
      const rule = ((o.spec as Obj).rules as Obj[])[0]!;
      const paths = rule.http.paths as Obj[];
      if (paths.length > 1 && sim.rng.chance(0.5)) paths.pop();
      else paths.push({ path: `/${sim.rng.pick(['api', 'v2', 'static', 'admin', 'hooks'])}${paths.length}`, pathType: 'Prefix', backend: paths[0]!.backend });
    }, sim.ctx(actor, 'patch'));
  } else {
    sim.cluster.update('Service', app.namespace, app.name, (o) => {
      const meta = o.metadata as Obj;
      meta.annotations = { ...meta.annotations, 'prometheus.io/scrape': sim.rng.chance(0.5) ? 'true' : 'false', 'example.com/owner': app.team };
    }, sim.ctx(actor, 'patch'));
  }
  return true;
}

export function widgetEdit(sim: Sim): boolean {
  const widgets = sim.cluster.registry.get('Widget.example.com') ? sim.cluster.list('Widget.example.com') : [];
  if (widgets.length === 0) return false;
  const w = sim.rng.pick(widgets);
  const meta = w.metadata as Obj;
  const size = sim.rng.int(1, 10);
  sim.cluster.update('Widget.example.com', meta.namespace, meta.name, (o) => {
    (o.spec as Obj).size = size;
    (o.spec as Obj).color = sim.rng.pick(['red', 'green', 'blue', 'teal']);
  }, sim.ctx(ACTORS.bob, 'patch'));
  const operator = { user: { username: 'system:serviceaccount:widgets:widget-operator', groups: ['system:serviceaccounts', 'system:authenticated'] }, userAgent: 'widget-operator/0.3.1' };
  sim.after(sim.jitter(0.5, 2), () => {
    sim.tryWrite(() => sim.cluster.update('Widget.example.com', meta.namespace, meta.name, (o) => {
      o.status = { phase: 'Ready', observedSize: size };
    }, sim.ctx(operator, 'update', 'status')));
  });
  return true;
}

/** Someone runs `kubectl delete pod`; the ReplicaSet replaces it. */
export function podDelete(sim: Sim): boolean {
  const ready = [...sim.world.pods.values()].filter((p) => p.ready && !p.terminating);
  if (ready.length === 0) return false;
  deletePod(sim, sim.rng.pick(ready).key, ACTORS.alice);
  return true;
}
