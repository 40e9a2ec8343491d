/**
 * GET /v1/failures (docs/failures.md): spans of broken state in a window and scope, with their
 * evidence and suspects. Validates the query, resolves times against one `now`, calls the
 * failures query and presents every time as RFC 3339 UTC.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { FAILURE_REASONS, type FailureQueries, type FailuresResult, type Suspect } from '../../core/failures/types.ts';
import { formatTime, type Clock, type Micros } from '../../core/time.ts';
import { clusterParam, continueParam, kindParam, limitParam, nameParam, namespaceParam, resolveWindow, timeParam } from '../params.ts';
import { actor, queryErrors, ref, time } from '../schemas.ts';

/** What the failures route needs. */
export interface FailuresRouteDeps {
  queries: FailureQueries;
  clock: Clock;
}

const DURATION_UNITS = { s: 1e6, m: 60e6, h: 3600e6 } as const;

export const suspectWindowParam = z
  .string({ error: (iss) => (iss.input === undefined ? 'is required' : 'must be given once, as a single string') })
  .regex(/^\d{1,5}[smh]$/, 'must be a duration: a whole number and s, m or h (15m, 90s, 2h)')
  .transform((v) => Number(v.slice(0, -1)) * DURATION_UNITS[v.at(-1) as keyof typeof DURATION_UNITS])
  .pipe(z.number().max(86_400e6, 'must be at most 24h'))
  .meta({ description: 'How long before a span\'s start changes count as suspects (default 15m)', example: '15m' });

export const failuresQuery = z.object({
  from: timeParam('Start of the window (inclusive)'),
  to: timeParam('End of the window (inclusive)'),
  namespace: namespaceParam.optional(),
  kind: kindParam.optional().meta({ description: 'Pod, Node, Deployment, StatefulSet, DaemonSet, Job, HorizontalPodAutoscaler or PersistentVolumeClaim (any kubectl spelling)' }),
  name: nameParam.optional(),
  suspectWindow: suspectWindowParam.optional(),
  limit: limitParam.optional(),
  continue: continueParam.optional(),
  cluster: clusterParam.optional(),
});

const suspect = z.object({
  ref,
  relation: z.enum(['self', 'owner', 'template', 'node', 'config']),
  ts: time,
  op: z.enum(['ADDED', 'MODIFIED', 'DELETED']),
  resourceVersion: z.string(),
  verb: z.string().optional(),
  actor: actor.optional(),
  diff: z.string().meta({ description: 'One line: `image: api:2.14.3 → api:2.15.0`, `created`, `deleted`' }),
});

export const failuresResponse = z.object({
  cluster: z.string(),
  from: time,
  to: time,
  asOf: time.meta({ description: 'The end of the window, resolved once per request' }),
  items: z.array(z.object({
    object: ref.extend({ uid: z.string() }),
    reason: z.enum(FAILURE_REASONS),
    start: time,
    end: time.nullable().meta({ description: 'null while ongoing at the window\'s end' }),
    ended: z.enum(['recovered', 'deleted']).optional(),
    evidence: z.record(z.string(), z.unknown()).meta({ description: 'container, exitCode, terminationReason, restarts, memoryLimit, image, node, message, desired, unavailable, events' }),
    affected: z.array(ref).optional(),
    suspects: z.array(suspect),
    recoveredAfter: suspect.optional(),
  })),
  continue: z.string().optional(),
});

function presentSuspect(s: Suspect) {
  return { ...s, ts: formatTime(s.ts) };
}

/** `/v1/failures`: every time formatted. */
export function presentFailures(r: FailuresResult) {
  return {
    ...r,
    from: formatTime(r.from),
    to: formatTime(r.to),
    asOf: formatTime(r.to),
    items: r.items.map(({ recoveredAfter, evidence, ...s }) => ({
      ...s,
      start: formatTime(s.start),
      end: s.end === null ? null : formatTime(s.end),
      evidence: evidence as Record<string, unknown>,
      suspects: s.suspects.map(presentSuspect),
      ...(recoveredAfter ? { recoveredAfter: presentSuspect(recoveredAfter) } : {}),
    })),
  };
}

/** Registers GET /v1/failures. */
export function registerFailuresRoute(app: FastifyInstance, { queries, clock }: FailuresRouteDeps): void {
  app.withTypeProvider<ZodTypeProvider>().get('/v1/failures', {
    schema: {
      tags: ['history'],
      operationId: 'failures',
      summary: 'What was broken in a window, since when, and what changed just before',
      querystring: failuresQuery,
      response: { 200: failuresResponse, ...queryErrors },
    },
  }, async (req) => {
    const { from, to, suspectWindow, ...q } = req.query;
    const window: { from: Micros; to: Micros } = resolveWindow(from, to, clock.now());
    return presentFailures(await queries.failures({ ...q, ...window, viewer: req.viewer, ...(suspectWindow !== undefined ? { suspectWindow } : {}) }));
  });
}
