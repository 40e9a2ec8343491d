import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testServer } from './testing/fakes.ts';

/** A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl. */
function certificates(dir: string) {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=test-ca');
  for (const [name, cn] of [['server', '127.0.0.1'], ['client', 'kube-apiserver']] as const) {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    ssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '1',
);
  }
  const read = (f: string) => readFileSync(join(dir, f));
  return { ca: read('ca.pem'), server: { cert: read('server.pem'), key: read('server.key') }, client: { cert: read('client.pem'), key: read('client.key') } };
}

describe('audit sink with client certificates', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubetime-certs-'));
  let certs: ReturnType<typeof certificates>;
  let port: number;
  let server: ReturnType<typeof testServer>['app'];

  beforeAll(async () => {
    certs = certificates(dir);
    server = testServer({ https: certs.server, auditClientCa: certs.ca, auditIngest: async () => ({ accepted: 0, ignored: 0 }) }).app;
    await server.listen({ port: 0, host: '127.0.0.1' });
    port = (server.server.address() as { port: number }).port;
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = (client?: { cert: Buffer; key: Buffer }) => new Promise<number>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/v1/audit', method: 'POST', ca: certs.ca, servername: '', checkServerIdentity: () => undefined, headers: { 'content-type': 'application/json' }, ...(client ?? {}) }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', reject);
    req.end(JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: [] }));
  });

  it('accepts a client presenting a certificate the CA signed, and refuses one without (401)', async () => {
    expect(await post(certs.client)).toBe(200);
    expect(await post()).toBe(401);
  });
});
