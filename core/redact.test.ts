import { describe, expect, it } from 'vitest';
import { redactObject } from './redact.ts';

describe('Secret redaction', () => {
  const secret = {
    apiVersion: 'v1', kind: 'Secret',
    metadata: { name: 's', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"k":"c2VjcmV0"}}' } },
    data: { k: 'c2VjcmV0' }, stringData: { plain: 'secret' },
  };

  it('keeps keys, replaces values by a digest, including kubectl last-applied', () => {
    const r = redactObject(secret, 'Secret');
    expect(Object.keys(r.data as object)).toEqual(['k']);
    expect(JSON.stringify(r)).not.toContain('c2VjcmV0');
    expect(JSON.stringify(r)).not.toContain('"secret"');
    expect((r.data as Record<string, string>).k).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(secret.data.k).toBe('c2VjcmV0'); // the input is not mutated
  });

  it('is stable (a change stays visible) and idempotent', () => {
    const once = redactObject(secret, 'Secret');
    expect(redactObject(once, 'Secret')).toEqual(once);
    const changed = redactObject({ ...secret, data: { k: 'b3RoZXI=' } }, 'Secret');
    expect((changed.data as Record<string, string>).k).not.toBe((once.data as Record<string, string>).k);
  });

  it('leaves other kinds alone', () => {
    const cm = { kind: 'ConfigMap', data: { k: 'v' } };
    expect(redactObject(cm, 'ConfigMap')).toBe(cm);
  });
});
