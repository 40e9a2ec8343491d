import { describe, expect, it } from 'vitest';
import { TokenFileAuthenticator } from '../../history-api/auth/authenticator.ts';
import { allowAllAccess } from '../../history-api/auth/access.ts';
import { testServer } from '../../history-api/testing/fakes.ts';
import { runClientCommand } from './index.ts';

/** A query command against a server that requires a bearer token (token file, allow-all). */
async function clusters(token?: string) {
  const { app } = testServer({ readAuth: { authenticator: new TokenFileAuthenticator('s3cret,alice,u1\n'), access: allowAllAccess, anonymous: 'refused' } });
  let stdout = '';
  let stderr = '';
  const fetch = (async (input: URL | string, init?: RequestInit) => {
    const url = new URL(String(input));
    const res = await app.inject({ url: url.pathname + url.search, headers: init?.headers as Record<string, string> });
    return new Response(res.body, { status: res.statusCode, headers: { 'content-type': String(res.headers['content-type']) } });
  }) as typeof globalThis.fetch;
  const code = await runClientCommand(['clusters'], { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), server: 'http://x', fetch, ...(token ? { token } : {}) });
  return { code, stdout, stderr };
}

describe('query commands and read authentication', () => {
  it('send KUBETIME_TOKEN as a bearer token', async () => {
    const ok = await clusters('s3cret');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('c1');
  });

  it('without a token, say what the server refused', async () => {
    const refused = await clusters();
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/bearer token is required/);
  });
});
