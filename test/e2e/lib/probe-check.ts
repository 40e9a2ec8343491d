/**
 * Holding kubetime to what the apiserver answered.
 *
 * A probe is *ambiguous* when a change to what it read may have committed while the request was
 * in flight: the apiserver may or may not have included it. The audit log brackets each commit
 * between requestReceivedTimestamp and stageTimestamp (ResponseComplete), so a probe [t0, t1]
 * is ambiguous exactly when some successful mutation of what it read has
 * [received, completed] ∩ [t0, t1] ≠ ∅. Otherwise every change it read committed before t0
 * (completed < t0) and every change it did not read committed after t1 (received > t1), and
 * kubetime's answer "as of t1" (every change with time <= t1, the audit's stageTimestamp being a
 * change's time) must be exactly the apiserver's answer.
 *
 * What a probe read: GET — every object ever named so (all subresources, every uid); LIST — every
 * object of the resource in the namespace (for Nodes, every Node: the selector is not known to
 * the audit log).
 */
import type { AuditChange } from './audit-log.ts';
import { succeeded } from './audit-log.ts';
import { formatMicros } from './clock.ts';
import { brief, jsonDiff, type Difference } from './json-diff.ts';
import type { KubetimeApi } from './kubetime.ts';
import type { Probe } from './prober.ts';
import { RESOURCES } from './resources.ts';

type Interval = [received: number, completed: number];

export class AmbiguityIndex {
  readonly #byObject = new Map<string, Interval[]>();
  readonly #byCollection = new Map<string, Interval[]>();

  constructor(changes: readonly AuditChange[]) {
    for (const c of changes) {
      if (!succeeded(c) || !(c.resource in RESOURCES)) continue;
      const iv: Interval = [c.received, c.completed];
      push(this.#byCollection, `${c.resource}|${c.namespace}`, iv);
      if (c.name) push(this.#byObject, `${c.resource}|${c.namespace}|${c.name}`, iv);
    }
  }

  isAmbiguous(p: Probe): boolean {
    const ns = p.namespace ?? '';
    const ivs = p.op === 'get' ? this.#byObject.get(`${p.resource}|${ns}|${p.name}`) : this.#byCollection.get(`${p.resource}|${ns}`);
    return (ivs ?? []).some(([r, s]) => r <= p.t1 && s >= p.t0);
  }
}

function push(m: Map<string, Interval[]>, k: string, v: Interval): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

export interface Mismatch {
  probe: string;
  at: string;
  problem: string;
  diff?: Difference[];
}

function describe(p: Probe): string {
  const what = p.op === 'get' ? `GET ${p.resource}/${p.name}` : `LIST ${p.resource}${p.labelSelector ? ` -l ${p.labelSelector}` : ''}`;
  return `#${p.id} ${what}${p.namespace ? ` -n ${p.namespace}` : ''} [${formatMicros(p.t0)} … ${formatMicros(p.t1)}]`;
}

const rvOf = (o: any): string | undefined => o?.metadata?.resourceVersion;

/**
 * Asks kubetime what it knows as of the probe's t1 and compares; undefined when identical.
 * `skip`: uids left out of the comparison on both sides (objects in a relist gap, relistGapUids).
 */
export async function checkProbe(api: KubetimeApi, p: Probe, skip: ReadonlySet<string> = new Set()): Promise<Mismatch | undefined> {
  const at = formatMicros(p.t1);
  const kind = RESOURCES[p.resource].kind;
  const base = { probe: describe(p), at };
  if (p.op === 'get') {
    if (skip.has(p.object?.metadata?.uid)) return undefined;
    const r = await api.get('/v1/object', { kind, name: p.name, namespace: p.namespace, at });
    if (p.status === 404) {
      if (r.status === 404 && r.body?.error?.code === 'NOT_FOUND') return undefined;
      return { ...base, problem: `apiserver: 404; kubetime: HTTP ${r.status} resourceVersion ${rvOf(r.body?.object) ?? '-'} (revision ${brief(r.body?.revision)})` };
    }
    if (r.status !== 200) return { ...base, problem: `apiserver: resourceVersion ${rvOf(p.object)}; kubetime: HTTP ${r.status} ${brief(r.body)}` };
    const diff = jsonDiff(p.object, r.body.object);
    if (!diff.length) return undefined;
    return { ...base, problem: `resourceVersion apiserver ${rvOf(p.object)}, kubetime ${rvOf(r.body.object)} (revision ${brief(r.body.revision)})`, diff };
  }
  const r = await api.get('/v1/objects', { kind, namespace: p.namespace, labelSelector: p.labelSelector, at });
  if (r.status !== 200) return { ...base, problem: `kubetime: HTTP ${r.status} ${brief(r.body)}` };
  const kept = (o: any) => !skip.has(o?.metadata?.uid);
  const mine: any[] = r.body.items.filter(kept);
  const theirs = p.items!.filter(kept);
  const names = (xs: any[]) => xs.map((o) => `${o.metadata.name}@${o.metadata.resourceVersion}`);
  const diff = jsonDiff(theirs, mine);
  if (!diff.length) return undefined;
  return { ...base, problem: `items apiserver [${names(theirs).join(' ')}], kubetime [${names(mine).join(' ')}]`, diff };
}

/** A mismatch as text for the failure message. */
export function renderMismatch(m: Mismatch): string {
  const lines = [`${m.probe}: kubetime at=${m.at}: ${m.problem}`];
  for (const d of m.diff ?? []) lines.push(`    ${d.path}: apiserver ${brief(d.apiserver)} | kubetime ${brief(d.kubetime)}`);
  return lines.join('\n');
}
