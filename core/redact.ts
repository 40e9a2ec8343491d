/**
 * Secret values never reach the store or a log: `data` and `stringData` values of a Secret are
 * replaced by a digest of the value, so a change stays visible while the value does not.
 *
 * Digests are keyed: `hmac-sha256:<hex>`, an HMAC-SHA256 with the installation's key (cli/ loads
 * it from KUBETIME_SECRET_DIGEST_KEY or `<data-dir>/secret-digest.key`, and calls
 * `useSecretDigestKey` once at start), so a guessed value cannot be checked against the store
 * offline. Without a key (library use, tests) the digest is the unkeyed `sha256:<hex>`. Digests
 * already stored stay as they were: redaction leaves either form untouched (it is idempotent), so
 * an object whose value did not change keeps its old digest until the value changes.
 *
 * Which objects are Secrets: any whose kind, from the record or the object, spells Secret in any
 * case, singular or plural, group-qualified or not (`secret`, `Secrets`, `Secret.v1.`, a Secret
 * with a wrong apiVersion): a forged or careless spelling must not get a value stored.
 */
import { createHash, createHmac } from 'node:crypto';
import type { KubeObject } from './record.ts';

export const REDACTED_PREFIX = 'sha256:';
export const KEYED_PREFIX = 'hmac-sha256:';
const DIGESTED = /^(hmac-)?sha256:[0-9a-f]{64}$/;

let digestKey: Buffer | undefined;

/** Keys every digest made from now on (the composition root calls it once at start). */
export function useSecretDigestKey(key: Buffer | undefined): void {
  digestKey = key && key.length ? Buffer.from(key) : undefined;
}

function digest(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return digestKey
    ? KEYED_PREFIX + createHmac('sha256', digestKey).update(text).digest('hex')
    : REDACTED_PREFIX + createHash('sha256').update(text).digest('hex');
}

/** Digests a value unless it already is a digest (redaction is idempotent). */
function digestOnce(value: unknown): string {
  return typeof value === 'string' && DIGESTED.test(value) ? value : digest(value);
}

function redactMap(map: unknown): unknown {
  if (typeof map !== 'object' || map === null || Array.isArray(map)) return map;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(map)) out[k] = digestOnce(v);
  return out;
}

/** Whether a kind spelling names Secret (any case, plural, group- or version-qualified). */
export function isSecretKind(kind: unknown): boolean {
  if (typeof kind !== 'string') return false;
  const base = kind.trim().toLowerCase().split(/[./]/)[0];
  return base === 'secret' || base === 'secrets';
}

/** Returns the object with Secret values digested (a copy; other kinds are returned as is). */
export function redactObject<T extends KubeObject | null>(obj: T, kind: string): T {
  if (!obj || !(isSecretKind(kind) || isSecretKind(obj.kind))) return obj;
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
