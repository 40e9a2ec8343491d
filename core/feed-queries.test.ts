import { describe, expect, it } from 'vitest';
import { actorMatches } from './feed-queries.ts';

const by = (username: string, impersonatedUser?: string) => ({ actor: { username, ...(impersonatedUser ? { impersonatedUser } : {}) } });

describe('actorMatches (--actor / actor=)', () => {
  it('matches the full name, an e-mail\'s short name and a service account\'s or node\'s last part', () => {
    expect(actorMatches(by('alice@example.com'), 'alice@example.com')).toBe(true);
    expect(actorMatches(by('alice@example.com'), 'alice')).toBe(true);
    expect(actorMatches(by('system:serviceaccount:kube-system:deployment-controller'), 'deployment-controller')).toBe(true);
    expect(actorMatches(by('system:node:kwok-node-0'), 'kwok-node-0')).toBe(true);
    expect(actorMatches(by('system:serviceaccount:shop:ci'), 'system:serviceaccount:shop')).toBe(true);
    expect(actorMatches(by('system:serviceaccount:shop:ci'), 'system:serviceaccount:shop:')).toBe(true);
    expect(actorMatches(by('admin', 'alice@example.com'), 'alice')).toBe(true);
  });

  it('does not match other users whose names merely start alike', () => {
    expect(actorMatches(by('alice@example.com'), 'ali')).toBe(false);
    expect(actorMatches(by('alicia@example.com'), 'alice')).toBe(false);
    expect(actorMatches(by('bob'), 'alice')).toBe(false);
    expect(actorMatches(by('system:serviceaccount:shop:ci'), 'shop')).toBe(false);
    expect(actorMatches({}, 'alice')).toBe(false);
    expect(actorMatches(by('alice'), '')).toBe(false);
  });
});
