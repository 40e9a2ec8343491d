/**
 * Changes to a Deployment's pod template: a new image (sometimes a bad release that crash-loops
 * and is rolled back a minute or two later), and `kubectl rollout restart`.
 */
import { ACTORS, type Actor } from '../actors.ts';
import { triggerOf } from '../injected.ts';
import type { Sim } from '../sim.ts';
import type { AppState } from '../world.ts';
import type { KubeObject } from '../../k8s/object.ts';

type Obj = Record<string, any>;

function bump(tag: string, rng: Sim['rng']): string {
  const m = /^v(\d+)\.(\d+)\.(\d+)$/.exec(tag);
  if (!m) return `${tag}-1`;
  const [maj, min, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return rng.chance(0.7) ? `v${maj}.${min}.${patch + 1}` : `v${maj}.${min + 1}.0`;
}

function setImage(sim: Sim, app: AppState, tag: string, actor: Actor): KubeObject {
  app.tag = tag;
  const obj = sim.cluster.update('Deployment.apps', app.namespace, app.name, (o) => {
    const c = ((o.spec as Obj).template.spec.containers as Obj[])[0]!;
    c.image = `${app.image}:${tag}`;
  }, sim.ctx(actor, 'patch'));
  sim.ctl.syncDeployment(app.key);
  return obj;
}

/** An app not in the middle of a rollout, or undefined. */
export function idleApp(sim: Sim): AppState | undefined {
  const apps = sim.world.liveApps().filter((a) => a.rolloutStartedAt === undefined && !a.badTags.has(a.tag) && !a.missingTags?.has(a.tag));
  return apps.length ? sim.rng.pick(apps) : undefined;
}

/**
 * Releases a new image. A bad one (crashing, or `missing` from the registry) is rolled back
 * (`kubectl rollout undo`) after a while.
 */
export function imageRollout(sim: Sim, bad: boolean, missing = false): boolean {
  const app = idleApp(sim);
  if (!app) return false;
  const tag = missing ? `${bump(app.tag, sim.rng)}-rc0` : bump(app.tag, sim.rng);
  if (missing) (app.missingTags ??= new Set()).add(tag);
  else if (bad) app.badTags.add(tag);
  const obj = setImage(sim, app, tag, sim.rng.chance(0.6) ? ACTORS.ci : ACTORS.alice);
  // A release of a tag known to be bad (a good rollout can bump to it again) triggers its crashes.
  if (app.badTags.has(tag) || app.missingTags?.has(tag)) (app.badReleases ??= new Map()).set(tag, triggerOf(obj, sim.now()));
  if (!bad) {
    app.goodTag = tag;
    return true;
  }
  sim.after(sim.jitter(60, 150), () => {
    if (app.deleted || app.tag !== tag) return;
    setImage(sim, app, app.goodTag, ACTORS.alice);
  });
  return true;
}

/** `kubectl rollout restart`: a new restartedAt annotation on the template. */
export function rolloutRestart(sim: Sim, app: AppState, actor: Actor): void {
  if (app.deleted) return;
  const stamp = new Date(sim.now() / 1000).toISOString().slice(0, 19) + 'Z';
  app.restartedAt = stamp;
  sim.tryWrite(() => sim.cluster.update('Deployment.apps', app.namespace, app.name, (o) => {
    const tpl = (o.spec as Obj).template;
    tpl.metadata.annotations = { ...tpl.metadata.annotations, 'kubectl.kubernetes.io/restartedAt': stamp };
  }, sim.ctx(actor, 'patch')));
  sim.ctl.syncDeployment(app.key);
}
