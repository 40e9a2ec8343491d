/**
 * The web timeline (docs/ui.md): `GET /ui` serves one static page (index.html; app.js, dom.js,
 * panels.js and lib.js, plain ES modules; style.css; favicon.svg; no build step). The page is a pure client of the `/v1/…` routes, so
 * it adds no data path: what it shows is what those routes answer to the reader's token. The
 * files themselves hold no history and are served without authentication (read-auth.ts), so the
 * page can load and ask for a token when the API answers 401.
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply } from 'fastify';

/**
 * Same-origin everything, no inline script or style, no framing: the page shows strings an
 * attacker may control (object names, actors), and draws them with textContent only.
 */
export const UI_CSP = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'";

const ASSETS: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'lib.js': 'text/javascript; charset=utf-8',
  'dom.js': 'text/javascript; charset=utf-8',
  'panels.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
};

/** The files, read once at start (a few KB). */
function loadAssets(): Map<string, Buffer> {
  const dir = new URL('./', import.meta.url);
  return new Map(Object.keys(ASSETS).map((name) => [name, readFileSync(new URL(name, dir))]));
}

function send(reply: FastifyReply, files: Map<string, Buffer>, name: string): FastifyReply {
  return reply
    .type(ASSETS[name]!)
    .header('content-security-policy', UI_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    // The page is small and changes with kubetime's version: always revalidate.
    .header('cache-control', 'no-cache')
    .send(files.get(name));
}

/** Registers `GET /ui` (the page) and `GET /ui/{file}` (its modules, style and icon). */
export function registerUiRoutes(app: FastifyInstance): void {
  const files = loadAssets();
  const page = { summary: 'The web timeline (an HTML page; docs/ui.md)', tags: ['ui'], operationId: 'ui' };
  app.get('/ui', { schema: page }, async (_req, reply) => send(reply, files, 'index.html'));
  app.get('/ui/', { schema: { hide: true } }, async (_req, reply) => send(reply, files, 'index.html'));
  for (const name of Object.keys(ASSETS).filter((n) => n !== 'index.html')) {
    app.get(`/ui/${name}`, { schema: { hide: true } }, async (_req, reply) => send(reply, files, name));
  }
}
