import { describe, expect, it } from 'vitest';
import { TRUSTED_VIEWER } from '../../core/access.ts';
import { NOW, testServer, us } from '../testing/fakes.ts';
import { failuresResponse } from './failures.ts';

async function get(path: string) {
  const { app, queries } = testServer();
  const res = await app.inject({ url: path });
  return { res, body: res.json(), queries };
}

describe('GET /v1/failures', () => {
  it('passes typed arguments (the request\'s viewer, the suspect window in µs) and answers with RFC 3339 times', async () => {
    const { res, body, queries } = await get('/v1/failures?from=now-1h&to=now&namespace=default&kind=po&suspectWindow=30m&limit=10');
    expect(res.statusCode).toBe(200);
    expect(queries.calls).toEqual([{
      method: 'failures',
      request: { from: NOW - 3600e6, to: NOW, namespace: 'default', kind: 'po', limit: 10, suspectWindow: 30 * 60e6 },
    }]);
    expect(queries.viewers).toEqual([TRUSTED_VIEWER]); // no read authentication configured: loopback, trusted
    expect(() => failuresResponse.parse(body)).not.toThrow();
    expect(body.from).toBe('2026-01-10T11:00:00Z');
    const [span] = body.items;
    expect(span).toMatchObject({
      object: { kind: 'Pod', namespace: 'default', name: 'web-7d4b9-x2k4p' },
      reason: 'CrashLoopBackOff', start: '2026-01-10T10:00:05Z', end: '2026-01-10T10:03:00Z', ended: 'deleted',
      evidence: { container: 'web', exitCode: 1, restarts: 4 },
    });
    expect(span.suspects[0]).toMatchObject({ ts: '2026-01-10T10:00:00Z', diff: 'image: web:1.0 → web:1.1', actor: { username: 'alice' } });
    expect(span.recoveredAfter.ts).toBe('2026-01-10T10:02:50Z');
    expect(us(span.start)).toBeLessThan(us(span.end));
  });

  it.each([
    ['/v1/failures?to=now', 'from'],
    ['/v1/failures?from=yesterday&to=now', 'from'],
    ['/v1/failures?from=now&to=now-1h', 'from'],
    ['/v1/failures?from=now-1h&to=now&suspectWindow=15', 'suspectWindow'],
    ['/v1/failures?from=now-1h&to=now&suspectWindow=25h', 'suspectWindow'],
    ['/v1/failures?from=now-1h&to=now&limit=0', 'limit'],
    ['/v1/failures?from=now-1h&to=now&namespace=Bad_NS', 'namespace'],
  ])('%s is a 400 naming %s', async (path, param) => {
    const { res, body, queries } = await get(path);
    expect(res.statusCode).toBe(400);
    expect(body.error.code).toBe('INVALID_ARGUMENT');
    expect(body.error.message.startsWith(`${param}:`)).toBe(true);
    expect(queries.calls).toEqual([]);
  });

  it('is in the OpenAPI document with its operationId', async () => {
    const { app } = testServer();
    await app.ready();
    const doc = app.swagger() as { paths: Record<string, { get?: { operationId?: string } }> };
    expect(doc.paths['/v1/failures']?.get?.operationId).toBe('failures');
  });
});
