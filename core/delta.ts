/**
 * Delta encoding shared by the stores: a revision is kept as an RFC 6902 patch against a full
 * "base" copy of its uid; a new base is taken when the patch would exceed BASE_RENEW_RATIO of
 * the base's JSON size. Reading any revision is one base fetch plus one patch, never a chain.
 */
import { diff, type JsonPatchOp } from '../k8s/json-patch.ts';
import type { KubeObject } from './record.ts';

export const BASE_RENEW_RATIO = 0.25;

export type DeltaPlan = { kind: 'patch'; patch: JsonPatchOp[] } | { kind: 'base'; size: number };

/** Decides how to store `obj` given its uid's current base (null when it has none yet). */
export function planDelta(base: KubeObject | null, baseSize: number, obj: KubeObject): DeltaPlan {
  if (base) {
    const patch = diff(base, obj);
    if (patch.length === 0) return { kind: 'patch', patch };
    if (JSON.stringify(patch).length <= baseSize * BASE_RENEW_RATIO) return { kind: 'patch', patch };
  }
  return { kind: 'base', size: JSON.stringify(obj).length };
}
