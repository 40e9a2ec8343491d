/**
 * The failures the scenario engine caused, as it caused them: which object broke, how, from when
 * to when, and which change (if any) triggered it — the ground truth for the failure timeline
 * (core/failures/). A span ends when the object recovers or its deletion is requested.
 */
import type { KubeObject } from '../k8s/object.ts';
import type { Micros } from '../k8s/time.ts';

/** The change that caused a failure: one revision of one object. */
export interface TriggerRef {
  kind: string;
  namespace: string;
  name: string;
  resourceVersion: string;
  ts: Micros;
}

export interface InjectedFailure {
  kind: 'Pod' | 'Node';
  namespace: string;
  name: string;
  /** As core/failures names it: CrashLoopBackOff, OOMKilled, Unschedulable, Cordoned. */
  reason: string;
  start: Micros;
  /** null while still broken. */
  end: Micros | null;
  trigger?: TriggerRef;
}

/** The trigger a written object stands for (its kind, name and new resourceVersion), at `ts`. */
export function triggerOf(obj: KubeObject, ts: Micros): TriggerRef {
  const meta = obj.metadata as { namespace?: string; name: string; resourceVersion: string };
  return { kind: String(obj.kind), namespace: meta.namespace ?? '', name: meta.name, resourceVersion: meta.resourceVersion, ts };
}

export class InjectedFailures {
  readonly #all: InjectedFailure[] = [];
  readonly #open = new Map<string, InjectedFailure>();

  #id(kind: string, namespace: string, name: string, reason: string): string {
    return `${kind}\u0000${namespace}\u0000${name}\u0000${reason}`;
  }

  /** Opens a failure unless the same one is open already. */
  open(f: Omit<InjectedFailure, 'end'>): void {
    const id = this.#id(f.kind, f.namespace, f.name, f.reason);
    if (this.#open.has(id)) return;
    const rec: InjectedFailure = { ...f, end: null };
    this.#open.set(id, rec);
    this.#all.push(rec);
  }

  /** Closes the object's open failures (of one reason, or all) at `at`. */
  close(kind: string, namespace: string, name: string, at: Micros, reason?: string): void {
    for (const [id, f] of this.#open) {
      if (f.kind !== kind || f.namespace !== namespace || f.name !== name || (reason && f.reason !== reason)) continue;
      f.end = at;
      this.#open.delete(id);
    }
  }

  isOpen(kind: string, namespace: string, name: string, reason: string): boolean {
    return this.#open.has(this.#id(kind, namespace, name, reason));
  }

  /** Every failure so far, in the order they began. */
  all(): readonly InjectedFailure[] {
    return this.#all;
  }
}
