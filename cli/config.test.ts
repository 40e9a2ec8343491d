import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';

describe('configuration', () => {
  it('has working defaults: embedded store in ./data, snapshots beside it', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 8080, store: 'embedded', watch: true, snapshotInterval: 15 * 60_000 });
    expect(c.dataDir.endsWith('/data')).toBe(true);
    expect(c.snapshots).toBe(`file://${c.dataDir}/snapshots`);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reads KUBETIME_* variables and lets flags win', () => {
    const env = { KUBETIME_PORT: '9000', KUBETIME_STORE: 'cassandra', KUBETIME_CASSANDRA_CONTACT_POINTS: 'a:9042, b:9042' };
    const c = loadConfig(env, { port: '9100', 'no-watch': true });
    expect(c.port).toBe(9100);
    expect(c.watch).toBe(false);
    expect(c.store).toBe('cassandra');
    expect(c.cassandra.contactPoints).toEqual(['a:9042', 'b:9042']);
  });

  it('reads what the watch records from variables and flags', () => {
    const c = loadConfig({ KUBETIME_EXCLUDE_NAMESPACES: 'kube-node-lease, kube-system', KUBETIME_RECORD_EVENTS: 'false' }, { 'include-kinds': 'deploy,pods' });
    expect(c.filters).toEqual({ excludeNamespaces: ['kube-node-lease', 'kube-system'], includeKinds: ['deploy', 'pods'], events: false });
  });

  it('sizes the embedded store\'s text cache: 64Mi by default, from the variable or the flag', () => {
    expect(loadConfig({}).textCache).toBe(64 * 2 ** 20);
    expect(loadConfig({ KUBETIME_TEXT_CACHE: '0' }).textCache).toBe(0);
    expect(loadConfig({ KUBETIME_TEXT_CACHE: '0' }, { 'text-cache': '256Mi' }).textCache).toBe(256 * 2 ** 20);
  });

  it('lists every problem at once', () => {
    try {
      loadConfig({ KUBETIME_PORT: 'eighty', KUBETIME_STORE: 'mysql', KUBETIME_SNAPSHOT_INTERVAL: 'often' });
      expect.unreachable();
    } catch (e) {
      const problems = (e as { details: { problems: string[] } }).details.problems;
      expect(problems.map((p) => p.split(':')[0])).toEqual(['port', 'store', 'snapshotInterval']);
    }
  });
});
