/**
 * zod schemas of the query parameters every endpoint shares. Each issue message is written to
 * follow the parameter's name (history-api/errors.ts prefixes it: `limit: must be …`).
 *
 * Times are validated here for their syntax only; they are resolved against the clock once per
 * request (`resolveTime`), so `from=now-1h&to=now` uses one `now`.
 */
import { z } from 'zod';
import { invalidArgument } from '../core/errors.ts';
import { MAX_HOPS } from '../core/queries.ts';
import { parseTime } from '../core/time.ts';
import type { Micros } from '../core/time.ts';

/** Largest `limit` accepted; larger values are refused rather than silently cut. */
export const MAX_LIMIT = 10_000;
export const DEFAULT_HOPS = 2;

/** The earliest and latest times the API accepts (RFC 3339 years 1970–9999). */
const MIN_TIME: Micros = 0;
const MAX_TIME: Micros = 253_402_300_799_999_999;

const TIME_HINT = 'use RFC 3339 (2026-01-10T10:05:00Z), now, or now-<n><s|m|h|d> (now-2h)';

/** A string parameter: missing → "is required", repeated (an array) → "must be given once". */
function str(): z.ZodString {
  return z.string({
    error: (iss) => (iss.input === undefined ? 'is required' : 'must be given once, as a single string'),
  });
}

function isTime(text: string): boolean {
  try {
    parseTime(text, 'time', 0);
    return true;
  } catch {
    return false;
  }
}

/** A time parameter (RFC 3339, `now`, `now-<n><unit>`), kept as text until `resolveTime`. */
export const timeParam = (description: string) =>
  str()
    .refine(isTime, { error: (iss) => `"${String(iss.input)}" is not a time; ${TIME_HINT}` })
    .meta({ description: `${description}; RFC 3339, now, or now-<n><s|m|h|d>`, example: 'now-1h' });

/**
 * Resolves a validated time parameter against `now`.
 * @throws INVALID_ARGUMENT naming `param` when it is not a time or lies outside 1970–9999.
 */
export function resolveTime(text: string, param: string, now: Micros): Micros {
  const t = parseTime(text, param, now);
  if (!(t >= MIN_TIME && t <= MAX_TIME)) {
    throw invalidArgument(param, `"${text}" is outside the supported range 1970-01-01T00:00:00Z … 9999-12-31T23:59:59Z`);
  }
  return t;
}

/** How far past the server's now an `at` may lie (clocks of caller and server drift apart). */
export const AT_CLOCK_SKEW_SECONDS = 5;

/**
 * Resolves an `at`: like resolveTime, and refused when later than now (beyond the clock-skew
 * allowance), since the state at a future time is not known yet.
 * @throws INVALID_ARGUMENT naming `param`.
 */
export function resolveAt(text: string, now: Micros, param = 'at'): Micros {
  const t = resolveTime(text, param, now);
  if (t > now + AT_CLOCK_SKEW_SECONDS * 1e6) {
    throw invalidArgument(param, `"${text}" is later than now; the state at a future time is not known yet (allowed clock skew ${AT_CLOCK_SKEW_SECONDS}s)`);
  }
  return t;
}

/**
 * Resolves a `from`/`to` window against one `now`; absent ends stay absent.
 * @throws INVALID_ARGUMENT naming `from` when the window is reversed.
 */
export function resolveWindow(from: string, to: string, now: Micros): { from: Micros; to: Micros };
export function resolveWindow(from: string | undefined, to: string | undefined, now: Micros): { from?: Micros; to?: Micros };
export function resolveWindow(fromText: string | undefined, toText: string | undefined, now: Micros): { from?: Micros; to?: Micros } {
  const from = fromText === undefined ? undefined : resolveTime(fromText, 'from', now);
  const to = toText === undefined ? undefined : resolveTime(toText, 'to', now);
  if (from !== undefined && to !== undefined && from > to) {
    throw invalidArgument('from', `must not be later than to (${fromText} > ${toText})`);
  }
  return { from, to };
}

export const kindParam = str()
  .min(1, 'must not be empty')
  .max(253, 'must be at most 253 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9.-]*$/, 'must be a Kind, plural resource or short name, optionally with a group (deployments.apps)')
  .meta({ description: 'Kind, plural resource or short name, optionally with a group suffix', example: 'deployments.apps' });

export const nameParam = str()
  .min(1, 'must not be empty')
  .max(253, 'must be at most 253 characters')
  .refine((v) => v !== '.' && v !== '..' && !/[/%\u0000-\u001f]/.test(v), 'is not a valid object name')
  .meta({ description: 'Object name (metadata.name)' });

export const namespaceParam = str()
  .max(63, 'must be at most 63 characters')
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a namespace name (lowercase RFC 1123 label)')
  .meta({ description: 'Namespace; absent for cluster-scoped kinds, or to list every namespace' });

export const clusterParam = str()
  .min(1, 'must not be empty')
  .max(253, 'must be at most 253 characters')
  .refine((v) => !/[\u0000-\u001f]/.test(v), 'must not contain control characters')
  .meta({ description: 'Cluster name; optional while the store holds one cluster' });

export const selectorParam = (description: string) =>
  str().max(4096, 'must be at most 4096 characters').meta({ description });

export const continueParam = str()
  .min(1, 'must not be empty')
  .max(4096, 'must be at most 4096 characters')
  .meta({ description: 'The continue token of the previous page' });

export const actorParam = str()
  .min(1, 'must not be empty')
  .max(1024, 'must be at most 1024 characters')
  .meta({ description: 'Only changes made by this user (actor.username or the impersonated user): the full name, a short name (alice for alice@example.com, the last part of system:serviceaccount:ns:name or system:node:n), or a prefix ending at ":"' });

export const limitParam = str()
  .regex(/^\d{1,9}$/, `must be a positive integer (1–${MAX_LIMIT})`)
  .transform(Number)
  .pipe(z.number().int().min(1, `must be at least 1`).max(MAX_LIMIT, `must be at most ${MAX_LIMIT}`))
  .meta({ description: `Maximum number of items (1–${MAX_LIMIT})` });

export const hopsParam = str()
  .regex(/^\d{1,3}$/, `must be an integer 0–${MAX_HOPS}`)
  .transform(Number)
  .pipe(z.number().int().max(MAX_HOPS, `must be at most ${MAX_HOPS}`))
  .meta({ description: `Edges to follow from the object (0–${MAX_HOPS}, default ${DEFAULT_HOPS})` });

export const boolParam = (description: string) =>
  z
    .enum(['true', 'false'], { error: (iss) => (iss.input === undefined ? 'is required' : 'must be true or false') })
    .transform((v) => v === 'true')
    .meta({ description });

export const viewParam = (defaultView: string, description: string) =>
  z
    .enum(['raw', 'full', 'summary'], { error: (iss) => (iss.input === undefined ? 'is required' : 'must be raw, full or summary') })
    .meta({ description: `${description} (default ${defaultView})` });

export const fieldsParam = str()
  .min(1, 'must not be empty')
  .max(4096, 'must be at most 4096 characters')
  .meta({ description: 'Comma-separated JSON paths to project each object to (spec.replicas,spec.template.spec.containers[*].image); wins over view', example: 'spec.template.spec.containers[*].image' });

export const orderParam = z
  .enum(['asc', 'desc'], { error: (iss) => (iss.input === undefined ? 'is required' : 'must be asc or desc') })
  .meta({ description: 'By time: desc = newest first (default), asc = oldest first' });

export const eventTypeParam = str()
  .regex(/^(?:[Nn]ormal|[Ww]arning)$/, 'must be Normal or Warning')
  .meta({ description: 'Only Events of this type (Normal, Warning)' });

export const reasonParam = str()
  .min(1, 'must not be empty')
  .max(256, 'must be at most 256 characters')
  .meta({ description: 'Only Events with this reason (BackOff, OOMKilling, FailedScheduling…)' });
