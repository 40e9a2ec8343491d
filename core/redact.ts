/**
 * Secret values never reach the store or a log: `data` and `stringData` values of a Secret are
 * replaced by `sha256:<hex>` of the value, so a change stays visible while the value does not.
 */
import { createHash } from 'node:crypto';
import type { KubeObject } from './record.ts';

export const REDACTED_PREFIX = 'sha256:';

function digest(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return REDACTED_PREFIX + createHash('sha256').update(text).digest('hex');
}

/** Digests a value unless it already is a digest (redaction is idempotent). */
function digestOnce(value: unknown): string {
  return typeof value === 'string' && /^sha256:[0-9a-f]{64}$/.test(value) ? value : digest(value);
}

function redactMap(map: unknown): unknown {
  if (typeof map !== 'object' || map === null || Array.isArray(map)) return map;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(map)) out[k] = digestOnce(v);
  return out;
}

/** Returns the object with Secret values digested (a copy; other kinds are returned as is). */
export function redactObject<T extends KubeObject | null>(obj: T, kind: string): T {
  if (!obj || kind !== 'Secret') return obj;
  const out: KubeObject = { ...obj };
  if ('data' in out) out.data = redactMap(out.data);
  if ('stringData' in out) out.stringData = redactMap(out.stringData);
  const annotations = (out.metadata as { annotations?: Record<string, string> } | undefined)?.annotations;
  const lastApplied = annotations?.['kubectl.kubernetes.io/last-applied-configuration'];
  if (lastApplied !== undefined) {
    // kubectl apply copies the whole manifest, values included, into this annotation.
    out.metadata = { ...out.metadata, annotations: { ...annotations, 'kubectl.kubernetes.io/last-applied-configuration': digestOnce(lastApplied) } };
  }
  return out as T;
}
