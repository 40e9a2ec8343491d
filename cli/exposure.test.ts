import { describe, expect, it } from 'vitest';
import { checkSinkExposure, isLoopbackHost } from './exposure.ts';
import { main } from './main.ts';

describe('audit sink exposure', () => {
  it('tells loopback hosts from the rest', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) expect(isLoopbackHost(h)).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.5', 'kubetime.example.com']) expect(isLoopbackHost(h)).toBe(false);
  });

  it('refuses an open sink beyond loopback, and allows it with a token, client certificates, on loopback or without a sink', () => {
    const open = { host: '0.0.0.0', auditSink: true, auditToken: undefined, auditClientCaFile: undefined };
    expect(() => checkSinkExposure(open)).toThrowError(/KUBETIME_AUDIT_TOKEN/);
    expect(() => checkSinkExposure({ ...open, auditToken: 't' })).not.toThrow();
    expect(() => checkSinkExposure({ ...open, auditClientCaFile: '/ca.pem' })).not.toThrow();
    expect(() => checkSinkExposure({ ...open, host: '127.0.0.1' })).not.toThrow();
    expect(() => checkSinkExposure({ ...open, auditSink: false })).not.toThrow();
  });

  it('`kubetime serve --host 0.0.0.0` without a token stops at once with the reason (exit 2)', async () => {
    const err: string[] = [];
    const code = await main(['serve', '--host', '0.0.0.0', '--no-watch', '--data-dir', '/nonexistent/never-created'], { out: () => {}, err: (s) => err.push(s) });
    expect(code).toBe(2);
    expect(err.join('')).toMatch(/audit sink .* would accept anyone reaching 0\.0\.0\.0/);
  });
});
