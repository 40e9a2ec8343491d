/**
 * Waiting, bounded, for things to settle before comparing: the namespace to stop changing (the
 * controllers finish what the workload started), then kubetime to show that final state, then
 * the audit webhook's last batch to be merged into kubetime's history.
 */
import type { AuditChange } from './audit-log.ts';
import { succeeded } from './audit-log.ts';
import { sleep } from './clock.ts';
import type { KubeClient } from './kube.ts';
import type { KubetimeApi } from './kubetime.ts';
import { RESOURCES, apiPath, kindOfResource, type ResourceName } from './resources.ts';

/** `name@resourceVersion` of every object, per resource. */
export type State = Record<string, string[]>;

const stateOf = (items: any[]): string[] => items.map((o) => `${o.metadata.name}@${o.metadata.resourceVersion}`).sort();

async function apiserverState(kube: KubeClient, ns: string, resources: readonly ResourceName[]): Promise<State> {
  const out: State = {};
  for (const r of resources) out[r] = stateOf((await kube.ok('GET', apiPath(RESOURCES[r], ns))).items);
  return out;
}

async function kubetimeState(api: KubetimeApi, ns: string, resources: readonly ResourceName[]): Promise<State> {
  const out: State = {};
  for (const r of resources) out[r] = stateOf((await api.ok('/v1/objects', { kind: RESOURCES[r].kind, namespace: ns, at: 'now' })).items);
  return out;
}

/** Waits until the namespace's objects have not changed for `stableMs`; returns that state. */
export async function quiesce(kube: KubeClient, ns: string, resources: readonly ResourceName[], stableMs = 2000, timeoutMs = 45_000): Promise<State> {
  const deadline = Date.now() + timeoutMs;
  let last = JSON.stringify(await apiserverState(kube, ns, resources));
  let since = Date.now();
  for (;;) {
    await sleep(250);
    const now = JSON.stringify(await apiserverState(kube, ns, resources));
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= stableMs) {
      return JSON.parse(now) as State;
    }
    if (Date.now() > deadline) throw new Error(`namespace ${ns} kept changing for ${timeoutMs / 1000} s`);
  }
}

/** Waits until kubetime's present equals `truth`; returns what still differs (empty when caught up). */
export async function waitForState(api: KubetimeApi, ns: string, truth: State, timeoutMs = 30_000): Promise<string[]> {
  const resources = Object.keys(truth) as ResourceName[];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const mine = await kubetimeState(api, ns, resources);
    const differs = resources
      .filter((r) => JSON.stringify(mine[r]) !== JSON.stringify(truth[r]))
      .map((r) => `${r}: apiserver [${truth[r]!.join(' ')}] kubetime [${mine[r]!.join(' ')}]`);
    if (!differs.length || Date.now() > deadline) return differs;
    await sleep(250);
  }
}

/**
 * Waits until the last audited change with a resulting object (in the changes given) shows in
 * kubetime's history with the audit among its sources; the webhook delivers batches in order, so
 * the earlier ones are in too. Returns false on timeout.
 */
export async function waitForAudit(api: KubetimeApi, changes: readonly AuditChange[], timeoutMs = 20_000): Promise<boolean> {
  const last = [...changes].reverse().find((c) => succeeded(c) && kindOfResource(c.resource) && c.response?.kind === kindOfResource(c.resource) && c.response?.metadata?.resourceVersion);
  if (!last) return true;
  const kind = kindOfResource(last.resource)!;
  const { name, resourceVersion, uid } = last.response.metadata;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const h = await api.get('/v1/history', { kind, name, namespace: last.namespace || undefined, limit: 10_000 });
    const items = (h.status === 200 ? h.body.items : []) as { uid: string; resourceVersion: string; source: string; op: string }[];
    const deleted = last.verb === 'delete' && !last.response.metadata.deletionTimestamp;
    if (items.some((i) => i.uid === uid && (deleted ? i.op === 'DELETED' : i.resourceVersion === resourceVersion) && i.source.includes('audit'))) return true;
    if (Date.now() > deadline) return false;
    await sleep(250);
  }
}
