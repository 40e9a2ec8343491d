import { describe, expect, it } from 'vitest';
import { TokenFileAuthenticator, TokenReviewAuthenticator, type TokenReviewStatus } from './authenticator.ts';

describe('TokenFileAuthenticator', () => {
  const file = [
    '# kube-apiserver --token-auth-file format',
    'tok-alice,alice,u1,"team-a,readers"',
    'tok-bob,bob,u2',
    '',
    'tok-carol,carol,,ops',
  ].join('\n');

  it('maps each token to its user, uid and groups, and refuses any other token', async () => {
    const a = new TokenFileAuthenticator(file);
    expect(await a.authenticate('tok-alice')).toEqual({ user: 'alice', uid: 'u1', groups: ['team-a', 'readers'] });
    expect(await a.authenticate('tok-bob')).toEqual({ user: 'bob', uid: 'u2', groups: [] });
    expect(await a.authenticate('tok-carol')).toEqual({ user: 'carol', groups: ['ops'] });
    expect(await a.authenticate('tok-alic')).toBeNull();
    expect(await a.authenticate('')).toBeNull();
  });

  it('names the line of a malformed file', () => {
    expect(() => new TokenFileAuthenticator('ok,u,1\nonlyonefield', 'tokens.csv')).toThrow(/tokens.csv line 2/);
  });
});

describe('TokenReviewAuthenticator', () => {
  function reviewer(answers: Record<string, TokenReviewStatus>) {
    const asked: string[] = [];
    let now = 1_000;
    const auth = new TokenReviewAuthenticator({
      review: async (token) => {
        asked.push(token);
        if (token === 'down') throw new Error('connection refused');
        return answers[token] ?? { authenticated: false, error: 'invalid bearer token' };
      },
      ttlValid: 10_000,
      ttlRejected: 2_000,
      now: () => now,
    });
    return { auth, asked, tick: (ms: number) => (now += ms), get now() { return now; } };
  }

  it('turns an authenticated review into a Subject and a rejected one into null', async () => {
    const { auth } = reviewer({ good: { authenticated: true, user: { username: 'system:serviceaccount:a:team-a', uid: 'x', groups: ['system:serviceaccounts'] } } });
    expect(await auth.authenticate('good')).toEqual({ user: 'system:serviceaccount:a:team-a', uid: 'x', groups: ['system:serviceaccounts'] });
    expect(await auth.authenticate('bad')).toBeNull();
  });

  it('reviews a token once while its answer is cached', async () => {
    const { auth, asked } = reviewer({ good: { authenticated: true, user: { username: 'u' } } });
    await auth.authenticate('good');
    await auth.authenticate('good');
    await auth.authenticate('bad');
    await auth.authenticate('bad');
    expect(asked).toEqual(['good', 'bad']);
  });

  it('reviews a rejected token again sooner than a valid one', async () => {
    const r = reviewer({ good: { authenticated: true, user: { username: 'u' } } });
    await r.auth.authenticate('good');
    await r.auth.authenticate('bad');
    r.tick(3_000);
    await r.auth.authenticate('good');
    await r.auth.authenticate('bad');
    r.tick(8_000);
    await r.auth.authenticate('good');
    expect(r.asked).toEqual(['good', 'bad', 'bad', 'good']);
  });

  it('fails closed and retryable (STORE_UNAVAILABLE) when the apiserver does not answer, and does not cache that', async () => {
    const { auth, asked } = reviewer({});
    await expect(auth.authenticate('down')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    await expect(auth.authenticate('down')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(asked).toEqual(['down', 'down']);
  });
});
