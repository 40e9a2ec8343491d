import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';
import { createReadAuth, isLoopback } from './read-access.ts';
import { MetricsRegistry } from '../history-api/metrics.ts';

function logger() {
  const lines: { level: string; fields: Record<string, unknown>; msg: string }[] = [];
  return {
    lines,
    info: (fields: Record<string, unknown>, msg: string) => lines.push({ level: 'info', fields, msg }),
    warn: (fields: Record<string, unknown>, msg: string) => lines.push({ level: 'warn', fields, msg }),
  } as never as { lines: typeof lines; info: never; warn: never };
}

describe('read access configuration', () => {
  it('reads the options from KUBETIME_* variables and flags, and requires the files their modes need', () => {
    const c = loadConfig({ KUBETIME_AUTHN: 'token-file', KUBETIME_TOKEN_FILE: '/t.csv', KUBETIME_OPS_OPEN: 'false' }, { authz: 'policy', 'policy-file': '/p.yaml' });
    expect(c).toMatchObject({ authn: 'token-file', tokenFile: '/t.csv', authz: 'policy', policyFile: '/p.yaml', opsOpen: false });
    expect(loadConfig({})).toMatchObject({ authn: 'none', opsOpen: true });
    expect(() => loadConfig({}, { authn: 'token-file', authz: 'policy' })).toThrow(/tokenFile: required[\s\S]*policyFile: required/);
    expect(() => loadConfig({ KUBETIME_AUTHN: 'oidc' })).toThrow(/authn/);
  });

  it('knows loopback hosts', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', 'localhost'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '::', '10.0.0.5', 'kubetime'].some(isLoopback)).toBe(false);
  });

  it('serves reads without authentication only on loopback, and says so in one line', () => {
    const local = logger();
    expect(createReadAuth(loadConfig({}), { logger: local as never })).toMatchObject({ anonymous: 'trusted' });
    expect(local.lines).toEqual([expect.objectContaining({ level: 'info', msg: expect.stringMatching(/without authentication \(listening on loopback only\)/) })]);
    const wide = logger();
    expect(createReadAuth(loadConfig({}, { host: '0.0.0.0' }), { logger: wide as never })).toMatchObject({ anonymous: 'refused' });
    expect(wide.lines).toEqual([expect.objectContaining({ level: 'warn', msg: expect.stringMatching(/refused \(401\)/) })]);
  });

  it('builds the token-file authenticator and the policy Access from their files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kt-access-'));
    writeFileSync(join(dir, 'tokens.csv'), 't1,alice,u1,"team-a"\n');
    writeFileSync(join(dir, 'policy.yaml'), 'rules:\n  - groups: [team-a]\n    namespaces: [a]\n');
    const log = logger();
    const metrics = new MetricsRegistry();
    const auth = createReadAuth(loadConfig({}, { host: '0.0.0.0', authn: 'token-file', 'token-file': join(dir, 'tokens.csv'), authz: 'policy', 'policy-file': join(dir, 'policy.yaml') }), { logger: log as never, metrics });
    const alice = await auth.authenticator!.authenticate('t1');
    expect(alice).toMatchObject({ user: 'alice', groups: ['team-a'] });
    expect(await auth.access.allowed(alice!, { cluster: 'default', verb: 'list', group: '', resource: 'pods', namespace: 'a' })).toBe(true);
    expect(await auth.access.allowed(alice!, { cluster: 'default', verb: 'list', group: '', resource: 'pods', namespace: 'b' })).toBe(false);
    expect(log.lines[0]!.msg).toBe('reads: authenticated by token-file, authorized by policy');
    await auth.access.allowed(alice!, { cluster: 'default', verb: 'list', group: '', resource: 'pods', namespace: 'a' });
    expect(await metrics.render()).toContain('kubetime_access_decisions_total{cache="miss"} 2');
    expect(await metrics.render()).toContain('kubetime_access_decisions_total{cache="hit"} 1');
  });
});
