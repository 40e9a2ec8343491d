import { describe, expect, it, vi } from 'vitest';
import type { ReadAttributes, Subject } from '../../core/access.ts';
import { CachedAccess, PolicyFileAccess, SubjectAccessReviewAccess, allowAllAccess, type AccessReviewSpec } from './access.ts';

const alice: Subject = { user: 'alice', groups: ['team-a'], uid: 'u1' };
const read = (o: Partial<ReadAttributes> = {}): ReadAttributes => ({ cluster: 'kt', verb: 'get', group: '', resource: 'pods', namespace: 'a', ...o });

describe('SubjectAccessReviewAccess', () => {
  it('asks the cluster of the read with the whole subject and resource attributes', async () => {
    const specs: AccessReviewSpec[] = [];
    const access = new SubjectAccessReviewAccess(new Map([['kt', async (spec: AccessReviewSpec) => {
      specs.push(spec);
      return { allowed: spec.resourceAttributes.namespace === 'a' };
    }]]));
    expect(await access.allowed(alice, read({ name: 'p1' }))).toBe(true);
    expect(await access.allowed(alice, read({ namespace: 'b', verb: 'list', group: 'apps', resource: 'deployments' }))).toBe(false);
    expect(specs).toEqual([
      { user: 'alice', groups: ['team-a'], uid: 'u1', resourceAttributes: { verb: 'get', group: '', resource: 'pods', namespace: 'a', name: 'p1' } },
      { user: 'alice', groups: ['team-a'], uid: 'u1', resourceAttributes: { verb: 'list', group: 'apps', resource: 'deployments', namespace: 'b' } },
    ]);
  });

  it('refuses reads of a cluster no authorizer speaks for, and an explicit denial', async () => {
    const access = new SubjectAccessReviewAccess(new Map([['kt', async () => ({ allowed: true, denied: true })]]));
    expect(await access.allowed(alice, read())).toBe(false);
    expect(await access.allowed(alice, read({ cluster: 'imported' }))).toBe(false);
  });
});

describe('PolicyFileAccess', () => {
  const policy = new PolicyFileAccess({
    rules: [
      { groups: ['team-a'], namespaces: ['a'] },
      { users: ['bob'], namespaces: ['b'], resources: ['deployments.apps', 'pods'], verbs: ['get'] },
      { users: ['sre'], namespaces: ['*'], clusters: ['prod'] },
    ],
  });

  it('grants what a rule names, and nothing else', async () => {
    expect(await policy.allowed(alice, read({ verb: 'list' }))).toBe(true);
    expect(await policy.allowed(alice, read({ namespace: 'b' }))).toBe(false);
    expect(await policy.allowed(alice, read({ namespace: '' }))).toBe(false); // cluster-scoped needs namespaces: ['*']
    const bob = { user: 'bob', groups: [] };
    expect(await policy.allowed(bob, read({ namespace: 'b', group: 'apps', resource: 'deployments' }))).toBe(true);
    expect(await policy.allowed(bob, read({ namespace: 'b', resource: 'secrets' }))).toBe(false);
    expect(await policy.allowed(bob, read({ namespace: 'b', verb: 'list' }))).toBe(false);
    const sre = { user: 'sre', groups: [] };
    expect(await policy.allowed(sre, read({ cluster: 'prod', namespace: '', resource: 'nodes', verb: 'list' }))).toBe(true);
    expect(await policy.allowed(sre, read({ cluster: 'kt' }))).toBe(false);
  });

  it('refuses a malformed policy with every problem listed', () => {
    expect(() => new PolicyFileAccess({ rules: [{ namespaces: [] }] }, 'p.yaml')).toThrow(/p.yaml: .*namespaces.*; .*user or group/s);
  });
});

describe('CachedAccess', () => {
  it('asks the inner Access once per subject and read while cached, and counts hits', async () => {
    const inner = { allowed: vi.fn(async (_s: Subject, a: ReadAttributes) => a.namespace === 'a') };
    const cached = new CachedAccess(inner);
    await Promise.all([cached.allowed(alice, read()), cached.allowed(alice, read())]);
    await cached.allowed(alice, read());
    await cached.allowed({ ...alice, groups: ['other'] }, read());
    expect(inner.allowed).toHaveBeenCalledTimes(2);
    expect({ hits: cached.hits, misses: cached.misses }).toEqual({ hits: 2, misses: 2 });
  });

  it('keeps a refusal for less time than an allow', async () => {
    let now = 1_000;
    const inner = { allowed: vi.fn(async (_s: Subject, a: ReadAttributes) => a.namespace === 'a') };
    const cached = new CachedAccess(inner, { ttlAllowed: 10_000, ttlDenied: 2_000, now: () => now });
    await cached.allowed(alice, read());
    await cached.allowed(alice, read({ namespace: 'b' }));
    now += 3_000;
    await cached.allowed(alice, read());
    await cached.allowed(alice, read({ namespace: 'b' }));
    now += 8_000;
    await cached.allowed(alice, read());
    expect(inner.allowed.mock.calls.map(([, a]) => a.namespace)).toEqual(['a', 'b', 'b', 'a']);
  });

  it('does not cache a failed review', async () => {
    let fail = true;
    const cached = new CachedAccess({ allowed: async () => { if (fail) throw new Error('apiserver down'); return true; } });
    await expect(cached.allowed(alice, read())).rejects.toThrow('apiserver down');
    fail = false;
    expect(await cached.allowed(alice, read())).toBe(true);
  });

  it('allow-all allows', async () => {
    expect(await allowAllAccess.allowed(alice, read())).toBe(true);
  });
});
