/**
 * core/v1 Events as controllers and kubelets record them: a repeat of the same reason and
 * message for the same object bumps `count` and `lastTimestamp` (a patch) instead of creating a
 * new Event, and Events expire after the TTL (deleted by the apiserver: no audit event).
 */
import type { KubeObject } from '../../k8s/object.ts';
import type { EventInit, Sim } from '../sim.ts';

type Obj = Record<string, any>;

const EXPIRY = {
  user: { username: 'system:apiserver', groups: ['system:masters'] },
  userAgent: 'kube-apiserver/v1.31.4 (linux/amd64) kubernetes/a78aa47',
};

interface Series {
  name: string;
  namespace: string;
  count: number;
  /** Bumped on every repeat: an expiry scheduled before it is stale. */
  version: number;
}

export class EventRecorder {
  private readonly sim: Sim;
  private readonly series = new Map<string, Series>();

  constructor(sim: Sim) {
    this.sim = sim;
  }

  record(involved: KubeObject, e: EventInit): void {
    const meta = involved.metadata as Obj;
    const namespace: string = meta.namespace || 'default';
    const key = `${meta.uid}\u0000${e.reason}\u0000${e.message}`;
    const time = this.sim.time();
    const s = this.series.get(key);
    if (s && this.sim.cluster.get('Event', s.namespace, s.name)) {
      s.count++;
      s.version++;
      this.sim.cluster.update('Event', s.namespace, s.name, (ev) => {
        Object.assign(ev, { count: s.count, lastTimestamp: time });
      }, this.sim.ctx(e.actor, 'patch'));
      this.expireLater(key, s);
      return;
    }
    const name = `${meta.name}.${this.sim.rng.hex(16)}`;
    this.sim.cluster.create(eventManifest(involved, e, name, namespace, time), this.sim.ctx(e.actor, 'create'));
    const created: Series = { name, namespace, count: 1, version: 0 };
    this.series.set(key, created);
    this.expireLater(key, created);
  }

  private expireLater(key: string, s: Series): void {
    const version = s.version;
    this.sim.after(this.sim.opts.eventTtlSeconds / this.sim.opts.delayScale, () => {
      if (s.version !== version) return;
      this.series.delete(key);
      this.sim.tryWrite(() => this.sim.cluster.delete('Event', s.namespace, s.name, { ...EXPIRY, verb: 'delete', audited: false }));
    });
  }
}

function eventManifest(involved: KubeObject, e: EventInit, name: string, namespace: string, time: string): KubeObject {
  const meta = involved.metadata as Obj;
  const source: Obj = { component: e.component };
  if (e.host) source.host = e.host;
  const involvedObject: Obj = { kind: involved.kind, namespace: meta.namespace, name: meta.name, uid: meta.uid, apiVersion: involved.apiVersion, resourceVersion: meta.resourceVersion };
  if (!meta.namespace) delete involvedObject.namespace;
  if (involved.kind === 'Pod' && e.component === 'kubelet') {
    const container = ((involved.spec as Obj)?.containers as Obj[] | undefined)?.[0]?.name;
    if (container) involvedObject.fieldPath = `spec.containers{${container}}`;
  }
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace },
    involvedObject,
    reason: e.reason,
    message: e.message,
    source,
    firstTimestamp: time,
    lastTimestamp: time,
    count: 1,
    type: e.type,
    eventTime: null,
    reportingComponent: e.component,
    reportingInstance: e.host ?? '',
  };
}
