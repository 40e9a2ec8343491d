/**
 * What a HistoryStore accepts (core/ports.ts): a record that fits the change-record schema, whose
 * object is at most MAX_OBJECT_DEPTH deep and MAX_OBJECT_BYTES large. Every adapter checks it the
 * same way before writing, and refuses a batch holding a record that fails with INVALID_ARGUMENT
 * (never STORE_UNAVAILABLE: an invalid record is not an outage, and retrying it cannot help). The
 * ingester checks it before its spool too (ingester/write/quarantine.ts), so such a record is set aside
 * instead of failing its batch.
 *
 * The walk is iterative: an object nested thousands deep must be measured without the recursion
 * (JSON.stringify, structuredClone, diff) that would overflow the stack on it.
 */
import { invalidArgument, type KubetimeError } from './errors.ts';
import { changeRecordSchema, groupKind, type ChangeRecord } from './record.ts';

/** Deepest object nesting stored. Kubernetes objects stay far below it (a CRD schema ~20). */
export const MAX_OBJECT_DEPTH = 100;
/** Largest object stored, in (approximate JSON) bytes; etcd refuses objects above 1.5 MiB. */
export const MAX_OBJECT_BYTES = 8 * 1024 * 1024;

/** Why a record cannot be stored: `invalid` (schema), `depth`, `size`. */
export type Unstorable = { reason: 'invalid' | 'depth' | 'size'; message: string };

/**
 * Depth and approximate JSON size of `value`, stopping as soon as either passes its limit
 * (so a huge or deep object costs no more than the limits).
 */
export function measure(value: unknown, limits = { depth: MAX_OBJECT_DEPTH, bytes: MAX_OBJECT_BYTES }): { depth: number; bytes: number; over?: 'depth' | 'size' } {
  const leaf = (v: unknown): number => (typeof v === 'string' ? v.length + 2 : 8);
  if (typeof value !== 'object' || value === null) return { depth: 0, bytes: leaf(value) };
  let bytes = 0;
  let deepest = 0;
  // Objects still to visit and their depths (parallel stacks: no allocation per value); leaves
  // are counted where they are met, never pushed.
  const objects: object[] = [value];
  const depths: number[] = [1];
  while (objects.length) {
    const v = objects.pop()!;
    const depth = depths.pop()!;
    if (depth > deepest) {
      deepest = depth;
      if (deepest > limits.depth) return { depth: deepest, bytes, over: 'depth' };
    }
    bytes += 2;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const x: unknown = v[i];
        if (typeof x === 'object' && x !== null) {
          objects.push(x);
          depths.push(depth + 1);
        } else bytes += leaf(x);
      }
    } else {
      for (const k in v) {
        const x: unknown = (v as Record<string, unknown>)[k];
        bytes += k.length + 4;
        if (typeof x === 'object' && x !== null) {
          objects.push(x);
          depths.push(depth + 1);
        } else bytes += leaf(x);
      }
    }
    if (bytes > limits.bytes) return { depth: deepest, bytes, over: 'size' };
  }
  return { depth: deepest, bytes };
}

/** Why `r` cannot be stored, or undefined when it can. */
export function unstorable(r: ChangeRecord): Unstorable | undefined {
  const parsed = changeRecordSchema.safeParse(r);
  if (!parsed.success) {
    return { reason: 'invalid', message: parsed.error.issues.map((x) => `${x.path.join('.') || '(record)'}: ${x.message}`).join('; ') };
  }
  if (!Number.isSafeInteger(r.ts) || !Number.isSafeInteger(r.observedAt)) return { reason: 'invalid', message: 'ts: must be a safe integer of microseconds' };
  if (groupKind(r.group, r.kind).includes('\u0000')) return { reason: 'invalid', message: 'kind: must not contain NUL' };
  const m = measure(r.object);
  if (m.over === 'depth') return { reason: 'depth', message: `object: nested deeper than ${MAX_OBJECT_DEPTH} levels` };
  if (m.over === 'size') return { reason: 'size', message: `object: larger than ${MAX_OBJECT_BYTES} bytes` };
  return undefined;
}

/** The INVALID_ARGUMENT a store rejects record `i` with. */
export function unstorableError(i: number, why: Unstorable): KubetimeError {
  return invalidArgument(`records[${i}]`, why.message, { reason: why.reason, index: i });
}

/**
 * Throws INVALID_ARGUMENT for the first record a store must refuse (every adapter calls this
 * before writing anything of a batch).
 */
export function checkStorable(records: readonly ChangeRecord[]): void {
  for (let i = 0; i < records.length; i++) {
    const why = unstorable(records[i]!);
    if (why) throw unstorableError(i, why);
  }
}

/** A kind's scope as the store knows it (its first stored record, or discovery). */
export interface KnownScope {
  /** `namespaced` of a group-kind in a cluster, undefined when not known yet. */
  namespaced(cluster: string, gk: string): boolean | undefined;
}

/**
 * Throws INVALID_ARGUMENT for the first record whose namespace contradicts its kind's known
 * scope (a Pod without a namespace, a Node with one): such a record must not flip the kind's
 * scope, which every graph edge and list depends on. Records of one batch agree among
 * themselves too: the first one of a new kind sets its scope for the rest.
 */
export function checkScopes(records: readonly ChangeRecord[], known: KnownScope): Map<string, boolean> {
  const fresh = new Map<string, boolean>();
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const gk = groupKind(r.group, r.kind);
    const k = `${r.cluster}\u0000${gk}`;
    const expected = known.namespaced(r.cluster, gk) ?? fresh.get(k);
    const namespaced = r.namespace !== '';
    if (expected === undefined) fresh.set(k, namespaced);
    else if (expected !== namespaced) {
      throw invalidArgument(`records[${i}].namespace`, `${gk} is ${expected ? 'namespaced' : 'cluster-scoped'}; a record ${namespaced ? 'with' : 'without'} a namespace contradicts it`, { reason: 'scope', index: i });
    }
  }
  return fresh;
}
