/**
 * Who reads: every request except the open ones (the audit sink, which keeps its own token rule;
 * the API docs; /healthz, /readyz, /metrics when configured open) is authenticated from its
 * `Authorization: Bearer` header into a Viewer (core/access.ts) that the routes pass to the
 * queries. And the query access log: one line per query naming who asked what, as of when, and
 * how much was answered (never a token).
 */
import { isSensitiveParam } from '../log-url.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { TRUSTED_VIEWER, viewerFor, type Access, type Viewer } from '../../core/access.ts';
import { KubetimeError } from '../../core/errors.ts';
import type { Authenticator } from './authenticator.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The reader of this request (read-auth.ts); TRUSTED_VIEWER on an open route. */
    viewer: Viewer;
  }
}

export interface ReadAuth {
  /** How a bearer token becomes a Subject; absent = no authentication. */
  authenticator?: Authenticator;
  /** Who may read what, for authenticated subjects. */
  access: Access;
  /**
   * Without an authenticator: `trusted` serves every read (a loopback-only server), `refused`
   * answers 401 (a server reachable beyond loopback must not serve history to anyone).
   */
  anonymous: 'trusted' | 'refused';
  /** /healthz, /readyz and /metrics without authentication; default true. */
  openOps?: boolean;
}

/** Trusted reads, as before authentication existed: tests and in-process servers. */
export const TRUSTED_READS: ReadAuth = Object.freeze({ access: { allowed: async () => true }, anonymous: 'trusted' });

const OPS = new Set(['/healthz', '/readyz', '/metrics']);
const ALWAYS_OPEN = new Set(['/v1/audit', '/openapi.json']);

/** The web timeline's static files (ui/route.ts): no history in them; the page sends the token with its queries. */
const isUiPage = (route: string) => route === '/ui' || route.startsWith('/ui/');

function isOpen(route: string | undefined, openOps: boolean): boolean {
  if (route === undefined) return false;
  return ALWAYS_OPEN.has(route) || route === '/docs' || route.startsWith('/docs/') || isUiPage(route) || (openOps && OPS.has(route));
}

function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  const m = typeof h === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(h) : null;
  return m?.[1];
}

async function viewerOf(req: FastifyRequest, reply: FastifyReply, auth: ReadAuth): Promise<Viewer> {
  if (!auth.authenticator) {
    if (auth.anonymous === 'trusted') return TRUSTED_VIEWER;
    throw new KubetimeError('UNAUTHENTICATED', 'reads are refused: this server listens beyond loopback and no authentication is configured (set --authn)', { param: 'Authorization' });
  }
  const token = bearer(req);
  void reply.header('www-authenticate', 'Bearer realm="kubetime"');
  if (!token) throw new KubetimeError('UNAUTHENTICATED', 'Authorization: a bearer token is required', { param: 'Authorization' });
  const subject = await auth.authenticator.authenticate(token);
  if (!subject) throw new KubetimeError('UNAUTHENTICATED', 'Authorization: the token was not accepted', { param: 'Authorization' });
  return viewerFor(auth.access, subject);
}

/** Adds the authentication hook and the query access log to `app` (before its routes are registered). */
export function registerReadAuth(app: FastifyInstance, auth: ReadAuth): void {
  const openOps = auth.openOps ?? true;
  app.decorateRequest('viewer', null as unknown as Viewer);
  app.addHook('onRequest', async (req, reply) => {
    req.viewer = isOpen(req.routeOptions.url, openOps) ? TRUSTED_VIEWER : await viewerOf(req, reply, auth);
  });
  registerQueryLog(app);
}

interface Answer { items?: number; asOf?: unknown }
const answers = new WeakMap<FastifyRequest, Answer>();

/** How many things an answer holds: items, nodes, or a scope diff's entries. */
function sizeOf(payload: Record<string, unknown>): number | undefined {
  for (const k of ['items', 'nodes']) if (Array.isArray(payload[k])) return (payload[k] as unknown[]).length;
  if (Array.isArray(payload.added)) return ['added', 'removed', 'changed'].reduce((n, k) => n + ((payload[k] as unknown[] | undefined)?.length ?? 0), 0);
  return payload.object ? 1 : undefined;
}

/**
 * For an answer sent as bytes it has already serialized (no preSerialization hook runs): what
 * the query log says of it, as the hook would have read it from the answer's object.
 */
export function noteAnswer(req: FastifyRequest, answer: Answer): void {
  answers.set(req, answer);
}

function registerQueryLog(app: FastifyInstance): void {
  const isQuery = (req: FastifyRequest) => (req.routeOptions.url ?? '').startsWith('/v1/') && req.routeOptions.url !== '/v1/audit';
  app.addHook('preSerialization', async (req, _reply, payload) => {
    if (isQuery(req) && payload && typeof payload === 'object') {
      const p = payload as Record<string, unknown>;
      answers.set(req, { items: sizeOf(p), asOf: p.asOf ?? p.at ?? (p.from !== undefined || p.to !== undefined ? { from: p.from, to: p.to } : undefined) });
    }
    return payload;
  });
}

/**
 * What the query log (call-log.ts, one line per query) says of a query besides its route and
 * timing: who asked, the arguments without token-like parameters, the as-of time or window, and
 * how many things the answer held.
 */
export function queryFacts(req: FastifyRequest): { args: Record<string, unknown>; user: string | null; groups?: readonly string[]; asOf?: unknown; items?: number } {
  const args = Object.fromEntries(Object.entries((req.query ?? {}) as Record<string, unknown>).filter(([k]) => !isSensitiveParam(k)));
  const answer = answers.get(req);
  return {
    args, user: req.viewer?.subject?.user ?? null,
    ...(req.viewer?.subject ? { groups: req.viewer.subject.groups } : {}),
    ...(answer?.asOf !== undefined ? { asOf: answer.asOf } : {}),
    ...(answer?.items !== undefined ? { items: answer.items } : {}),
  };
}
