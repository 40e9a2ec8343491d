/** Fields every write changes; diffs leave them out unless asked for the raw patch. */
import type { KubeObject } from './record.ts';

export const NOISE_FIELDS = ['managedFields', 'resourceVersion', 'generation'] as const;

export function withoutNoise(obj: KubeObject | null): KubeObject | null {
  if (!obj || typeof obj.metadata !== 'object' || obj.metadata === null) return obj;
  const metadata: Record<string, unknown> = { ...obj.metadata };
  for (const f of NOISE_FIELDS) delete metadata[f];
  return { ...obj, metadata };
}
