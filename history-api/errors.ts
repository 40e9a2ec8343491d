/**
 * The one place where error codes become HTTP statuses, and where every failure a request can
 * meet (a KubetimeError from the queries, a zod validation failure, a fastify framework error,
 * an unexpected bug) becomes the contract's error body:
 * `{"error": {"code", "message", "details"}}`.
 */
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { FastifyError } from 'fastify';
import { KubetimeError, isKubetimeError } from '../core/errors.ts';
import type { ErrorCode } from '../core/errors.ts';

/**
 * HTTP status of every error code.
 * - HISTORY_EXPIRED is 410 Gone: the time asked for lies before retention, the way the
 *   Kubernetes API answers 410 for a resourceVersion that is too old to serve.
 * - FORBIDDEN is 403: the caller is known but may not read what it asked for (core/visibility.ts).
 * - STORE_UNAVAILABLE is 503 so that clients (and kube-apiserver's audit webhook) retry.
 * - SNAPSHOT_INVALID and INTERNAL are server-side faults (500); no client input produces them.
 */
export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = Object.freeze({
  INVALID_ARGUMENT: 400,
  AMBIGUOUS: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  HISTORY_EXPIRED: 410,
  PAYLOAD_TOO_LARGE: 413,
  TOO_MANY_REQUESTS: 429,
  INTERNAL: 500,
  SNAPSHOT_INVALID: 500,
  STORE_UNAVAILABLE: 503,
});

/** The JSON error body of every non-2xx API response. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details: Record<string, unknown> };
}

/** The status and body for a KubetimeError. Internal faults keep their message out of the body. */
export function errorResponse(err: KubetimeError): { status: number; body: ErrorBody } {
  const status = HTTP_STATUS[err.code] ?? 500;
  if (status >= 500 && err.code !== 'STORE_UNAVAILABLE') {
    return { status, body: { error: { code: err.code, message: 'internal error; see the server log', details: {} } } };
  }
  return { status, body: { error: { code: err.code, message: err.message, details: err.details } } };
}

interface ZodLikeIssue {
  instancePath?: string;
  message?: string;
}

/** A zod schema failure: the first issue, named by its parameter (querystring) or `body`. */
function validationError(err: FastifyError): KubetimeError {
  const issue = (err.validation?.[0] ?? {}) as ZodLikeIssue;
  const path = (issue.instancePath ?? '').split('/').filter(Boolean);
  const message = issue.message ?? 'invalid';
  if (err.validationContext === 'querystring' && path[0]) {
    return new KubetimeError('INVALID_ARGUMENT', `${path[0]}: ${message}`, { param: path[0] });
  }
  const param = err.validationContext === 'querystring' ? 'query' : (err.validationContext ?? 'body');
  const where = path.length ? `${path.join('.')}: ` : '';
  return new KubetimeError('INVALID_ARGUMENT', `${param}: ${where}${message}`, { param, ...(path.length ? { path: path.join('.') } : {}) });
}

const BODY_ERRORS: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'is not valid JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'must not be empty',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'length does not match Content-Length',
};

/**
 * Any error thrown while serving a request, as a KubetimeError. Framework 4xx errors (bad JSON,
 * oversized body, unsupported media type, bad URL) are the client's fault and say so; anything
 * unrecognised is INTERNAL.
 */
export function toKubetimeError(err: unknown): KubetimeError {
  if (isKubetimeError(err)) return err;
  const fe = err as Partial<FastifyError> | null;
  if (hasZodFastifySchemaValidationErrors(fe)) return validationError(fe as FastifyError);
  const code = typeof fe?.code === 'string' ? fe.code : '';
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new KubetimeError('PAYLOAD_TOO_LARGE', 'body: request body is larger than this endpoint accepts', { param: 'body' });
  }
  if (BODY_ERRORS[code]) return new KubetimeError('INVALID_ARGUMENT', `body: ${BODY_ERRORS[code]}`, { param: 'body' });
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return new KubetimeError('INVALID_ARGUMENT', 'Content-Type: unsupported media type; send application/json', { param: 'Content-Type' });
  }
  const status = typeof fe?.statusCode === 'number' ? fe.statusCode : 500;
  if (status === 404) return new KubetimeError('NOT_FOUND', 'not found');
  if (status >= 400 && status < 500) {
    return new KubetimeError('INVALID_ARGUMENT', `request: ${String(fe?.message ?? 'bad request')}`, { param: 'request' });
  }
  return new KubetimeError('INTERNAL', 'internal error', {}, { cause: err });
}
