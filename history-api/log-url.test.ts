import { Writable } from 'node:stream';
import pino from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { describe, expect, it } from 'vitest';
import { loggableUrl } from './log-url.ts';
import { testServer } from './testing/fakes.ts';

describe('access log', () => {
  it('never writes a token given in a query string', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const { app } = testServer({ logger: pino({ level: 'info' }, sink) as unknown as FastifyBaseLogger });
    await app.inject({ url: '/v1/clusters?token=s3cr3t-token&access_token=abc123xyz&kind=pods' });
    await app.inject({ url: '/no-such-route?token=s3cr3t-token&access_token=abc123xyz&kind=pods' });
    await app.close();
    const log = lines.join('');
    // A query's call line keeps its other arguments; any other request's line keeps the URL, redacted.
    expect(log).toContain('"call":"/v1/clusters","args":{"kind":"pods"}');
    expect(log).toContain('/no-such-route?token=[redacted]&access_token=[redacted]&kind=pods');
    expect(log).not.toContain('s3cr3t-token');
    expect(log).not.toContain('abc123xyz');
  });

  it('leaves other parameters alone', () => {
    expect(loggableUrl('/v1/objects?kind=secret&namespace=a')).toBe('/v1/objects?kind=secret&namespace=a');
    expect(loggableUrl('/v1/x?Authorization=Bearer%20x&id_token=y')).toBe('/v1/x?Authorization=[redacted]&id_token=[redacted]');
  });
});
