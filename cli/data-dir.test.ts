import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { useSecretDigestKey } from '../core/redact.ts';
import { createApp, shutdown } from './compose.ts';
import { loadConfig } from './config.ts';
import { SECRET_KEY_FILE } from './data-dir.ts';

const mode = (p: string) => statSync(p).mode & 0o777;
const dirs: string[] = [];
afterEach(() => {
  useSecretDigestKey(undefined);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function started(dataDir: string, env: Record<string, string> = {}) {
  const app = await createApp(loadConfig({ KUBETIME_DATA_DIR: dataDir, KUBETIME_LOG_LEVEL: 'silent', ...env }, { 'no-watch': true }));
  const secret = {
    stage: 'ResponseComplete', verb: 'create', responseStatus: { code: 201 }, stageTimestamp: new Date().toISOString(),
    objectRef: { resource: 'secrets', namespace: 'ns', name: 's' },
    responseObject: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'ns', uid: 'u1', resourceVersion: '1' }, data: { password: 'aHVudGVyMg==' } },
  };
  await app.sink.ingestEvents([secret]);
  await app.writer.settled?.();
  let stored: unknown;
  for await (const r of app.store.revisions({ key: { cluster: 'default', gk: 'Secret', namespace: 'ns', name: 's' }, order: 'asc' })) stored = r.object;
  await shutdown(app);
  return (stored as { data: { password: string } }).data.password;
}

describe('the data dir', () => {
  it('is closed to other users: folders 0700, store files and the digest key 0600', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubetime-modes-'));
    dirs.push(dir);
    const data = join(dir, 'data');
    await started(data);
    expect(mode(data)).toBe(0o700);
    expect(mode(join(data, 'store'))).toBe(0o700);
    expect(mode(join(data, 'store', 'data.mdb'))).toBe(0o600);
    expect(mode(join(data, SECRET_KEY_FILE))).toBe(0o600);
  });

  it('closes a data dir an older version left open (0755 / 0644)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubetime-modes-'));
    dirs.push(dir);
    const data = join(dir, 'data');
    await started(data);
    chmodSync(data, 0o755);
    chmodSync(join(data, 'store'), 0o755);
    chmodSync(join(data, 'store', 'data.mdb'), 0o644);
    await started(data);
    expect([mode(data), mode(join(data, 'store')), mode(join(data, 'store', 'data.mdb'))]).toEqual([0o700, 0o700, 0o600]);
  });

  it('keys Secret digests with the key beside the data, created on first start and kept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubetime-key-'));
    dirs.push(dir);
    const a = join(dir, 'a');
    const first = await started(a);
    expect(first).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    const key = readFileSync(join(a, SECRET_KEY_FILE), 'utf8');
    expect(key.trim()).toMatch(/^[0-9a-f]{64}$/);
    // Another installation has another key, so the same value gets another digest.
    expect(await started(join(dir, 'b'))).not.toBe(first);
    // The key from the environment (a Secret in the chart) wins; the same key, the same digest.
    mkdirSync(join(dir, 'c'));
    writeFileSync(join(dir, 'c', 'unused'), '');
    expect(await started(join(dir, 'c'), { KUBETIME_SECRET_DIGEST_KEY: key.trim() })).toBe(first);
  });
});
