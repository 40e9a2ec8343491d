import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { redactObject, useSecretDigestKey } from './redact.ts';

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

describe('Secret redaction: keyed digests and forged spellings', () => {
  afterEach(() => useSecretDigestKey(undefined));

  it('keys digests with the installation key, so a guessed value cannot be checked offline', () => {
    const s = { apiVersion: 'v1', kind: 'Secret', data: { password: 'hunter2' } };
    const unkeyed = (redactObject(s, 'Secret').data as Record<string, string>).password;
    expect(unkeyed).toBe(`sha256:${createHash('sha256').update('hunter2').digest('hex')}`);
    useSecretDigestKey(Buffer.from('key-one'));
    const one = (redactObject(s, 'Secret').data as Record<string, string>).password;
    expect(one).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(one).not.toContain(createHash('sha256').update('hunter2').digest('hex'));
    useSecretDigestKey(Buffer.from('key-two'));
    expect((redactObject(s, 'Secret').data as Record<string, string>).password).not.toBe(one);
  });

  it('leaves digests already stored as they were (old unkeyed ones included)', () => {
    const old = { kind: 'Secret', data: { k: `sha256:${'a'.repeat(64)}` } };
    useSecretDigestKey(Buffer.from('key'));
    expect(redactObject(old, 'Secret')).toEqual(old);
  });

  it.each([
    ['secret', { apiVersion: 'v1', kind: 'secret' }],
    ['secrets', { apiVersion: 'v1', kind: 'secrets' }],
    ['Secrets', { apiVersion: 'v1', kind: 'Secrets' }],
    ['Secret.v1.', { apiVersion: 'v1', kind: 'Secret.v1.' }],
    ['a wrong apiVersion', { apiVersion: 'v2', kind: 'Secret' }],
    ['a group-qualified apiVersion', { apiVersion: 'evil.example.com/v1', kind: 'Secret' }],
    ['the record kind alone', { apiVersion: 'v1', kind: 'Thing' }],
  ])('redacts a Secret spelled with %s', (label, head) => {
    const obj = { ...head, data: { k: 'c2VjcmV0' }, stringData: { p: 'hunter2' } };
    const kind = label === 'the record kind alone' ? 'secrets' : String(head.kind);
    const r = redactObject(obj, kind);
    expect(JSON.stringify(r)).not.toContain('c2VjcmV0');
    expect(JSON.stringify(r)).not.toContain('hunter2');
  });

  it('leaves kinds that only contain the word alone', () => {
    const sealed = { kind: 'SealedSecret', spec: { encryptedData: { k: 'x' } }, data: { k: 'v' } };
    expect(redactObject(sealed, 'SealedSecret')).toBe(sealed);
  });
});
