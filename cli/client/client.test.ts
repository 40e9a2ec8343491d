import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { KubetimeError } from '../../core/errors.ts';
import { testServer, us } from '../../history-api/testing/fakes.ts';
import { runClientCommand } from './index.ts';
import { runWithFakeFetch, type Run } from './testing.ts';

const run = runWithFakeFetch;

/** Runs a command against the real history API (with fake queries) through inject(). */
async function runAgainstServer(argv: string[], configure?: (q: ReturnType<typeof testServer>['queries']) => void) {
  const { app, queries } = testServer();
  configure?.(queries);
  let stdout = '';
  let stderr = '';
  const fetch = (async (input: URL | string) => {
    const url = new URL(String(input));
    const res = await app.inject({ url: url.pathname + url.search });
    return new Response(res.body, { status: res.statusCode, headers: { 'content-type': String(res.headers['content-type']) } });
  }) as typeof globalThis.fetch;
  const code = await runClientCommand(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), server: 'http://x', fetch });
  return { code, stdout, stderr, queries };
}

const q = (r: Run, i = 0) => Object.fromEntries(r.urls[i]!.searchParams);

describe('request building', () => {
  it('get KIND/NAME asks /v1/object with kubectl defaults (namespace default, at now)', async () => {
    const r = await run(['get', 'deploy/web', '--at', '2026-01-10T10:00:00Z'], () => ({ body: { at: '2026-01-10T10:00:00Z', object: {} } }));
    expect(r.urls[0]!.origin + r.urls[0]!.pathname).toBe('http://kt.example:8080/v1/object');
    expect(q(r)).toEqual({ kind: 'deploy', name: 'web', namespace: 'default', at: '2026-01-10T10:00:00Z', view: 'summary' });
    // A table is the server's summary row (wide with -o wide); json/yaml the manifest, full unless --show-managed-fields.
    expect(q(await run(['get', 'po', 'p1', '-o', 'wide']))).toMatchObject({ view: 'summary', wide: 'true' });
    expect(q(await run(['get', 'po', 'p1', '-o', 'yaml']))).toMatchObject({ view: 'full' });
    expect(q(await run(['get', 'po', 'p1', '-o', 'json', '--show-managed-fields']))).toMatchObject({ view: 'raw' });
    expect((await run(['history', 'po/p1', '-o', 'wide'])).stderr).toMatch(/-o wide: only get/);
    expect((await run(['get', 'po', 'p1'])).urls[0]!.searchParams.get('at')).toBe('now');
  });

  it('KIND NAME equals KIND/NAME, and -n, --cluster and --server are honoured', async () => {
    const r = await run(['get', 'pods', 'p1', '-n', 'kube-system', '--cluster', 'prod', '--server', 'https://other:9/prefix/']);
    expect(r.urls[0]!.href.startsWith('https://other:9/prefix/v1/object?')).toBe(true);
    expect(q(r)).toMatchObject({ kind: 'pods', name: 'p1', namespace: 'kube-system', cluster: 'prod' });
  });

  it('drops the namespace for cluster-scoped kinds and sends none for unknown kinds', async () => {
    expect(q(await run(['get', 'node/n1', '-n', 'default']))).not.toHaveProperty('namespace');
    expect(q(await run(['get', 'widgets.example.com/w']))).not.toHaveProperty('namespace');
  });

  it('get KIND lists in the default namespace, or every namespace with -A', async () => {
    const r = await run(['get', 'deploy', '-l', 'app=web', '--field-selector', 'metadata.name=web', '--limit', '5', '--at', 'now-1h']);
    expect(r.urls[0]!.pathname).toBe('/v1/objects');
    expect(q(r)).toEqual({ kind: 'deploy', namespace: 'default', labelSelector: 'app=web', fieldSelector: 'metadata.name=web', limit: '5', at: 'now-1h', view: 'summary' });
    expect(q(await run(['get', 'deploy', '-A', '-n', 'x']))).not.toHaveProperty('namespace');
  });

  it('history, diff, graph, changes and events map their flags', async () => {
    expect(q(await run(['history', 'deploy/web', '-n', 'a', '--from', 'now-1d', '--to', 'now', '--objects', '--limit', '3'])))
      .toEqual({ kind: 'deploy', name: 'web', namespace: 'a', from: 'now-1d', to: 'now', objects: 'true', limit: '3' });
    expect(q(await run(['diff', 'deploy/web', '--from', 'now-1h', '--raw'])))
      .toEqual({ kind: 'deploy', name: 'web', namespace: 'default', from: 'now-1h', to: 'now', raw: 'true' });
    expect(q(await run(['diff', 'deploy', '-A', '-l', 'app=x', '--from', 'now-1h', '--to', 'now-5m'])))
      .toEqual({ kind: 'deploy', labelSelector: 'app=x', from: 'now-1h', to: 'now-5m' });
    expect(q(await run(['graph', 'svc', 'web', '--hops', '3', '--at', 'now'])))
      .toEqual({ kind: 'svc', name: 'web', namespace: 'default', at: 'now', hops: '3' });
    expect(q(await run(['changes', '--from', 'now-1h', '--kind', 'deploy', '--name', 'web', '--actor', 'alice', '-n', 'prod'])))
      .toEqual({ from: 'now-1h', to: 'now', kind: 'deploy', name: 'web', actor: 'alice', namespace: 'prod' });
    expect(q(await run(['events', 'pod/web-1', '--from', 'now-1h'])))
      .toEqual({ from: 'now-1h', to: 'now', kind: 'pod', name: 'web-1', namespace: 'default' });
    expect(q(await run(['events', '--from', 'now-1h']))).toEqual({ from: 'now-1h', to: 'now' });
  });
});

describe('usage errors exit 2 without asking the server', () => {
  const cases: [string[], RegExp][] = [
    [['get'], /KIND is required/],
    [['get', 'deploy/'], /KIND\/NAME/],
    [['get', 'deploy', 'a', 'b'], /unexpected argument "b"/],
    [['get', 'deploy/web', 'x'], /unexpected argument "x"/],
    [['get', 'deploy/web', '-A'], /across all namespaces/],
    [['get', 'deploy/web', '-l', 'a=b'], /cannot be combined/],
    [['get', 'deploy', '--bogus'], /bogus/],
    [['get', 'deploy', '-o', 'xml'], /-o: must be one of table, json, yaml/],
    [['get', 'deploy', '--at'], /at/],
    [['history', 'deploy'], /name is required/],
    [['graph'], /KIND\/NAME is required/],
    [['diff', 'deploy/web'], /--from is required/],
    [['changes', '--to', 'now'], /--from is required/],
    [['changes', 'deploy', '--from', 'now'], /unexpected argument/],
    [['events', 'pod/x', '--kind', 'pod', '--from', 'now'], /either/],
    [['frobnicate'], /unknown command/],
  ];
  for (const [argv, message] of cases) {
    it(argv.join(' '), async () => {
      const r = await run(argv);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^error: /);
      expect(r.stderr).toMatch(message);
      expect(r.urls).toEqual([]);
    });
  }

  it('rejects a server URL that is not http(s)', async () => {
    for (const server of ['not a url', 'ftp://x']) {
      const r = await run(['clusters', '--server', server]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('--server');
    }
  });

  it('prints help for -h with exit 0', async () => {
    const r = await run(['diff', '-h']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('kubetime diff KIND[/NAME]');
  });
});

describe('server errors exit 1', () => {
  it('prints the server message as "error: …"', async () => {
    const r = await runAgainstServer(['get', 'deploy/web', '--at', 'yesterday']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: at: "yesterday" is not a time/);
    expect(r.stdout).toBe('');
  });

  it('prints a NOT_FOUND message as the server wrote it', async () => {
    const r = await runAgainstServer(['get', 'deploy/web'], (queries) => {
      queries.failWith = new KubetimeError('NOT_FOUND', 'Deployment web in namespace default did not exist at 2026-01-10T12:00:00Z; it existed from 2026-01-01T00:00:00Z to 2026-01-02T00:00:00Z', {
        existed: [{ from: us('2026-01-01T00:00:00Z'), to: us('2026-01-02T00:00:00Z') }],
      });
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: Deployment web in namespace default did not exist at 2026-01-10T12:00:00Z; it existed from 2026-01-01T00:00:00Z to 2026-01-02T00:00:00Z\n');
  });

  it('reports non-JSON answers and unreachable servers', async () => {
    const r = await run(['clusters'], () => ({ status: 502, body: '<html>bad gateway</html>' }));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: http:\/\/kt.example:8080 answered 502/);
    const failing = (async () => {
      throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:8080') });
    }) as unknown as typeof globalThis.fetch;
    let stderr = '';
    const code = await runClientCommand(['clusters'], { stdout: () => undefined, stderr: (t) => (stderr += t), fetch: failing });
    expect(code).toBe(1);
    expect(stderr).toBe('error: cannot reach http://127.0.0.1:8080: connect ECONNREFUSED 127.0.0.1:8080\n');
  });
});

describe('output', () => {
  it('get KIND/NAME prints a table row, the manifest as YAML or JSON', async () => {
    const table = await runAgainstServer(['get', 'deploy/web', '--at', '2026-01-10T11:30:00Z']);
    expect(table.code).toBe(0);
    expect(table.stdout).toBe('NAME   READY   UP-TO-DATE   AVAILABLE   AGE\nweb    0/3     0            0           150m\n');
    const yaml = await runAgainstServer(['get', 'deploy/web', '-o', 'yaml']);
    expect(parseYaml(yaml.stdout)).toMatchObject({ kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 3 } });
    const json = await runAgainstServer(['get', 'deploy/web', '-o', 'json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ kind: 'Deployment', metadata: { name: 'web' } });
  });

  it('get KIND -A shows NAMESPACE; -o json prints a List; a continue token is hinted on stderr', async () => {
    const r = await runAgainstServer(['get', 'deploy', '-A', '--at', '2026-01-10T09:00:45Z']);
    expect(r.stdout).toBe('NAMESPACE   NAME   READY   UP-TO-DATE   AVAILABLE   AGE\ndefault     web    0/3     0            0           45s\n');
    expect(r.stderr).toBe('more items: add --at 2026-01-10T09:00:45Z --continue next-page\n');
    const ns = await runAgainstServer(['get', 'deploy', '-n', 'default', '--at', '2026-01-10T09:00:45Z']);
    expect(ns.stdout.split('\n')[0]).toBe('NAME   READY   UP-TO-DATE   AVAILABLE   AGE');
    const json = JSON.parse((await runAgainstServer(['get', 'deploy', '-o', 'json'])).stdout);
    expect(json).toMatchObject({ apiVersion: 'v1', kind: 'List', metadata: { continue: 'next-page' }, items: [{ kind: 'Deployment' }] });
  });

  it('history prints TIME, OP, RV, SOURCE, ACTOR, CHANGED PATHS', async () => {
    const r = await runAgainstServer(['history', 'deploy/web']);
    expect(r.stdout.split('\n')).toEqual([
      'TIME                          OP         RV   SOURCE        ACTOR   CHANGED PATHS',
      '2026-01-10T09:00:00Z          ADDED      40   watch+audit   alice   -',
      '2026-01-10T10:00:00.123456Z   MODIFIED   42   watch+audit   alice   /spec/replicas',
      '',
    ]);
  });

  it('changes prints TIME, OP, KIND, NAMESPACE/NAME, ACTOR', async () => {
    const r = await runAgainstServer(['changes', '--from', 'now-1h']);
    expect(r.stdout).toBe(
      'TIME                          OP         KIND         NAMESPACE/NAME   ACTOR\n' +
        '2026-01-10T10:00:00.123456Z   MODIFIED   Deployment   default/web      alice\n',
    );
  });

  it('diff prints patch lines for one object and +/-/~ refs for a scope', async () => {
    const one = await runAgainstServer(['diff', 'deploy/web', '--from', '2026-01-10T10:00:00Z', '--to', '2026-01-10T11:00:00Z']);
    expect(one.stdout).toBe('# 2026-01-10T10:00:00Z → 2026-01-10T11:00:00Z\n~ /spec/replicas: 5\n');
    const scope = await runAgainstServer(['diff', 'deploy', '--from', '2026-01-10T10:00:00Z']);
    expect(scope.stdout).toBe('# 2026-01-10T10:00:00Z → 2026-01-10T12:00:00Z\n+ Deployment/default/api\n~ Deployment/default/web\n    ~ /spec/replicas: 5\n');
  });

  it('graph prints nodes and edges; events and clusters print tables', async () => {
    const g = await runAgainstServer(['graph', 'deploy/web']);
    expect(g.stdout).toContain('Deployment/default/web --owns--> ReplicaSet/default/web-1');
    expect(g.stdout).toMatch(/^KIND\s+NAMESPACE\s+NAME\s+UID\n/);
    const e = await runAgainstServer(['events', '--from', 'now-1h']);
    expect(e.stdout.split('\n')[0]).toMatch(/^NAMESPACE\s+LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$/);
    expect(e.stdout).toContain('ScalingReplicaSet');
    const c = await runAgainstServer(['clusters', '-o', 'json']);
    expect(JSON.parse(c.stdout).items[0]).toEqual({ name: 'c1', firstSeen: '2026-01-01T00:00:00Z', lastSeen: '2026-01-10T11:59:59.5Z' });
  });
});


describe('get --view / --fields (the server presents the objects)', () => {
  it('passes view and fields through, full by default; prints summary rows and projections as tables', async () => {
    const calls: URL[] = [];
    const answers: Record<string, unknown>[] = [
      { at: 't', columns: ['NAME', 'READY', 'STATUS'], items: [['web-1', '1/1', 'CrashLoopBackOff']] },
      { at: 't', items: [{ 'metadata.name': 'web-1', 'spec.nodeName': 'node-2' }] },
    ];
    const fetchFake = (async (url: URL) => {
      calls.push(url);
      return new Response(JSON.stringify(answers.shift()), { status: 200 });
    }) as unknown as typeof fetch;
    let out = '';
    const io = { stdout: (t: string) => void (out += t), stderr: () => undefined, fetch: fetchFake };
    await runClientCommand(['get', 'pods', '--view', 'summary'], io);
    await runClientCommand(['get', 'pods', '--fields', 'spec.nodeName'], io);
    expect(calls[0]!.searchParams.get('view')).toBe('summary');
    expect(calls[1]!.searchParams.get('view')).toBe('full');
    expect(calls[1]!.searchParams.get('fields')).toBe('spec.nodeName');
    expect(out).toMatch(/NAME\s+READY\s+STATUS\nweb-1\s+1\/1\s+CrashLoopBackOff/);
    expect(out).toMatch(/metadata\.name\s+spec\.nodeName\nweb-1\s+node-2/);
  });
});

describe('kubetime failures', () => {
  it('asks /v1/failures and prints OBJECT, REASON, START, END, TOP SUSPECT', async () => {
    const r = await runAgainstServer(['failures', '--from', 'now-1h', '-n', 'default', '--suspect-window', '30m']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.queries.calls[0]).toMatchObject({ method: 'failures', request: { namespace: 'default', suspectWindow: 30 * 60e6 } });
    const [header, row] = r.stdout.trimEnd().split('\n');
    expect(header!.split(/\s{3,}/)).toEqual(['OBJECT', 'REASON', 'START', 'END', 'TOP SUSPECT']);
    expect(row!.split(/\s{3,}/)).toEqual([
      'Pod/default/web-7d4b9-x2k4p', 'CrashLoopBackOff', '2026-01-10T10:00:05Z', '2026-01-10T10:03:00Z (deleted)',
      'Deployment/default/web image: web:1.0 → web:1.1 (alice, 5s before)',
    ]);
  });

  it('prints the answer as JSON with -o json', async () => {
    const r = await runAgainstServer(['failures', '--from', 'now-1h', '-o', 'json']);
    expect(JSON.parse(r.stdout).items[0].suspects[0].diff).toBe('image: web:1.0 → web:1.1');
  });

  it('passes a bad value to the server, which names it', async () => {
    const r = await runAgainstServer(['failures', '--from', 'now-1h', '--suspect-window', 'soon']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: suspectWindow: /);
  });

  it('requires --from', async () => {
    const r = await runAgainstServer(['failures']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--from is required');
  });
});
