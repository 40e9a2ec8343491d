import { describe, expect, it } from 'vitest';
import { ERROR_CODES, KubetimeError } from '../core/errors.ts';
import { HTTP_STATUS, errorResponse, toKubetimeError } from './errors.ts';

describe('HTTP_STATUS', () => {
  it('maps every error code to an HTTP error status', () => {
    for (const code of ERROR_CODES) {
      const status = HTTP_STATUS[code];
      expect(status, code).toBeGreaterThanOrEqual(400);
      expect(status, code).toBeLessThan(600);
    }
    expect(Object.keys(HTTP_STATUS).sort()).toEqual([...ERROR_CODES].sort());
  });

  it('makes client mistakes 4xx and retryable store failures 503', () => {
    expect(HTTP_STATUS.INVALID_ARGUMENT).toBe(400);
    expect(HTTP_STATUS.AMBIGUOUS).toBe(400);
    expect(HTTP_STATUS.NOT_FOUND).toBe(404);
    expect(HTTP_STATUS.UNAUTHENTICATED).toBe(401);
    expect(HTTP_STATUS.HISTORY_EXPIRED).toBe(410);
    expect(HTTP_STATUS.PAYLOAD_TOO_LARGE).toBe(413);
    expect(HTTP_STATUS.STORE_UNAVAILABLE).toBe(503);
  });
});

describe('errorResponse', () => {
  it('keeps the message and details of client errors', () => {
    const r = errorResponse(new KubetimeError('AMBIGUOUS', 'kind: ambiguous', { param: 'kind', candidates: ['a', 'b'] }));
    expect(r).toEqual({ status: 400, body: { error: { code: 'AMBIGUOUS', message: 'kind: ambiguous', details: { param: 'kind', candidates: ['a', 'b'] } } } });
  });

  it('hides the message and details of internal faults', () => {
    const r = errorResponse(new KubetimeError('SNAPSHOT_INVALID', 'checksum of /var/x mismatched', { path: '/var/x' }));
    expect(r.status).toBe(500);
    expect(JSON.stringify(r.body)).not.toContain('/var/x');
  });
});

describe('toKubetimeError', () => {
  it('passes KubetimeErrors through', () => {
    const e = new KubetimeError('NOT_FOUND', 'x');
    expect(toKubetimeError(e)).toBe(e);
  });

  it('turns fastify body errors into client errors naming the body', () => {
    expect(toKubetimeError({ code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }).code).toBe('PAYLOAD_TOO_LARGE');
    const bad = toKubetimeError({ code: 'FST_ERR_CTP_INVALID_JSON_BODY', statusCode: 400, message: 'Unexpected token' });
    expect(bad.code).toBe('INVALID_ARGUMENT');
    expect(bad.details).toEqual({ param: 'body' });
    expect(toKubetimeError({ code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 }).details).toEqual({ param: 'Content-Type' });
  });

  it('makes unknown errors INTERNAL, keeping the cause for the log', () => {
    const cause = new Error('boom');
    const e = toKubetimeError(cause);
    expect(e.code).toBe('INTERNAL');
    expect(e.cause).toBe(cause);
    expect(toKubetimeError(null).code).toBe('INTERNAL');
    expect(toKubetimeError('string').code).toBe('INTERNAL');
  });
});
