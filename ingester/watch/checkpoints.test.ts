import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkpointKey, Checkpoints } from './checkpoints.ts';
import { FakeTiming, waitFor } from '../testing/fake-timing.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kubetime-cp-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A logger that keeps the messages it was given, by level. */
function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (_fields: unknown, msg?: string) => void lines.push(`${level} ${msg ?? ''}`);
  return { logger: { info: at('info'), warn: at('warn') } as unknown as Logger, lines };
}

describe('checkpointKey', () => {
  it('tells apart every stream: cluster, group/version/resource, namespace, selector, scope', () => {
    const keys = [
      { cluster: 'a', path: '/api/v1/pods' },
      { cluster: 'b', path: '/api/v1/pods' },
      { cluster: 'a', path: '/api/v1/namespaces/default/pods' },
      { cluster: 'a', path: '/apis/apps/v1/deployments' },
      { cluster: 'a', path: '/apis/apps/v1beta1/deployments' },
      { cluster: 'a', path: '/api/v1/pods', labelSelector: 'app=web' },
      { cluster: 'a', path: '/api/v1/pods', labelSelector: 'app=web', scope: 'exclude=kube-system' },
    ].map(checkpointKey);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys[5]).toBe('a:/api/v1/pods?labelSelector=app%3Dweb');
  });
});

describe('Checkpoints', () => {
  it('round-trips through its file, written at most every flush interval and on close', async () => {
    const path = join(dir, 'sub', 'watch-checkpoints.json');
    const timing = new FakeTiming();
    const cps = await Checkpoints.open({ path, timing });
    cps.set('k1', { resourceVersion: '10', at: 1 });
    cps.set('k1', { resourceVersion: '12', at: 2 });
    await timing.advance(500);
    await expect(readFile(path, 'utf8')).rejects.toThrow(); // not yet
    await timing.advance(600);
    await waitFor(() => existsSync(path), 'the timed flush');
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ version: 1, sources: { k1: { resourceVersion: '12', at: 2 } } });
    cps.set('k2', { resourceVersion: '7', at: 3 });
    await cps.close(); // written without waiting for the timer
    const again = await Checkpoints.open({ path });
    expect(again.get('k1')).toEqual({ resourceVersion: '12', at: 2 });
    expect(again.get('k2')).toEqual({ resourceVersion: '7', at: 3 });
    expect(again.size).toBe(2);
  });

  for (const [what, text] of [['not JSON', '{"version":1,"sources":{"k":'], ['the wrong shape', '{"version":1,"sources":{"k":{"resourceVersion":5}}}'], ['another version', '{"version":9,"sources":{}}']] as const) {
    it(`treats a file that is ${what} as no checkpoints, logs it, and replaces it on the next flush`, async () => {
      const path = join(dir, 'watch-checkpoints.json');
      await writeFile(path, text);
      const { logger, lines } = capture();
      const cps = await Checkpoints.open({ path, logger });
      expect(cps.size).toBe(0);
      expect(lines.some((l) => l.startsWith('warn') && l.includes('corrupt'))).toBe(true);
      cps.set('k', { resourceVersion: '3', at: 1 });
      await cps.close();
      expect((await Checkpoints.open({ path })).get('k')).toEqual({ resourceVersion: '3', at: 1 });
    });
  }

  it('starts empty without a file, and leaves no temporary file behind', async () => {
    const path = join(dir, 'watch-checkpoints.json');
    const { logger, lines } = capture();
    const cps = await Checkpoints.open({ path, logger });
    expect(cps.size).toBe(0);
    expect(lines).toEqual(['info no watch checkpoints yet; every source lists first']);
    await cps.close();
    await expect(readFile(path, 'utf8')).rejects.toThrow(); // nothing to write
    cps.set('k', { resourceVersion: '1', at: 1 });
    await cps.flush();
    await expect(readFile(`${path}.tmp`, 'utf8')).rejects.toThrow();
  });
});
