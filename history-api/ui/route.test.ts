import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TokenFileAuthenticator } from '../auth/authenticator.ts';
import { testServer } from '../testing/fakes.ts';
import { UI_CSP } from './route.ts';

const locked = { authenticator: new TokenFileAuthenticator('t0ken,alice,u1,"sre"\n'), access: { allowed: async () => true }, anonymous: 'refused' as const };

describe('GET /ui (the web timeline)', () => {
  it.each([
    ['/ui', 'text/html', '<script type="module" src="/ui/app.js">'],
    ['/ui/', 'text/html', 'kubetime'],
    ['/ui/app.js', 'text/javascript', "from './lib.js'"],
    ['/ui/lib.js', 'text/javascript', 'export function parseState'],
    ['/ui/dom.js', 'text/javascript', 'export function el'],
    ['/ui/panels.js', 'text/javascript', 'export async function showChange'],
    ['/ui/style.css', 'text/css', ':root'],
    ['/ui/favicon.svg', 'image/svg+xml', '<svg'],
  ])('%s: %s with a same-origin Content-Security-Policy', async (url, type, contains) => {
    const { app } = testServer();
    const res = await app.inject({ url });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe(type.startsWith('text/') ? `${type}; charset=utf-8` : type);
    expect(res.headers['content-security-policy']).toBe(UI_CSP);
    expect(UI_CSP.split('; ')[0]).toBe("default-src 'self'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.body).toContain(contains);
  });

  it('is served without a token where reads need one (the page asks for it), while the API still answers 401', async () => {
    const { app, queries } = testServer({ readAuth: locked });
    expect((await app.inject({ url: '/ui' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/ui/app.js' })).statusCode).toBe(200);
    const api = await app.inject({ url: '/v1/changes?from=now-1h&to=now' });
    expect(api.statusCode).toBe(401);
    expect(api.json().error.code).toBe('UNAUTHENTICATED');
    expect(queries.calls).toEqual([]);
  });

  it('serves only its own files: another path under /ui is a 404 in the API\'s error shape', async () => {
    const { app } = testServer();
    for (const url of ['/ui/../server.ts', '/ui/route.ts', '/ui/lib.d.ts', '/ui/%2e%2e/read-auth.ts', '/ui/nope.js']) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(404);
      expect(res.json().error.code, url).toBe('NOT_FOUND');
    }
  });

  it('has no inline script or style in the page (the CSP would block them)', async () => {
    const { app } = testServer();
    const html = (await app.inject({ url: '/ui' })).body;
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    expect(html).not.toMatch(/<style|\sstyle=/i);
  });

  it('is listed in the OpenAPI document as one operation (its files are not)', async () => {
    const { app } = testServer();
    const doc = (await app.inject({ url: '/openapi.json' })).json();
    expect(doc.paths['/ui'].get.operationId).toBe('ui');
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/ui/'))).toEqual([]);
  });

  it('draws with DOM calls only: no script of the page parses strings as HTML or code', () => {
    const dir = new URL('./', import.meta.url);
    const scripts = readdirSync(dir).filter((f) => f.endsWith('.js'));
    expect(scripts.sort()).toEqual(['app.js', 'dom.js', 'lib.js', 'panels.js']);
    for (const f of scripts) {
      const code = readFileSync(new URL(f, dir), 'utf8');
      expect(code, f).not.toMatch(/\.(innerHTML|outerHTML)\b|insertAdjacentHTML|document\.write|\beval\(|new Function\b|DOMParser|createContextualFragment/);
    }
  });
});
