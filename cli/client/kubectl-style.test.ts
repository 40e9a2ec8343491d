/**
 * The query commands behave as kubectl users expect: no managedFields in -o json|yaml unless
 * asked, kubectl's "No resources found" wording, a history of an object that never existed says
 * so, events across namespaces with a NAMESPACE column, oldest first, filtered by --type, and
 * --help lists every flag.
 */
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { USAGE as MAIN_USAGE } from '../main.ts';
import { commandFlags } from './args.ts';
import { CLIENT_COMMANDS } from './index.ts';
import { runWithFakeFetch, type Reply } from './testing.ts';

const run = (argv: string[], respond?: (url: URL) => Reply) => runWithFakeFetch(argv, respond, 'http://kt');

const MANAGED = [{ manager: 'kubectl', operation: 'Apply', fieldsV1: { 'f:spec': {} } }];
const pod = (name: string, ns = 'shop') => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, managedFields: MANAGED, labels: { app: 'web' } } });

describe('managedFields in -o json|yaml', () => {
  it('are left out of objects, lists and histories unless --show-managed-fields', async () => {
    const one = await run(['get', 'po/a', '-n', 'shop', '-o', 'yaml'], () => ({ body: { at: 'T', object: pod('a') } }));
    expect(parseYaml(one.stdout)).toEqual({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', namespace: 'shop', labels: { app: 'web' } } });
    const list = await run(['get', 'po', '-n', 'shop', '-o', 'json'], () => ({ body: { at: 'T', items: [pod('a'), pod('b')] } }));
    expect(list.stdout).not.toContain('managedFields');
    expect(JSON.parse(list.stdout).items.map((o: { metadata: { name: string } }) => o.metadata.name)).toEqual(['a', 'b']);
    const hist = await run(['history', 'po/a', '-n', 'shop', '--objects', '-o', 'json'], () => ({ body: { items: [{ ts: 'T', op: 'ADDED', object: pod('a') }] } }));
    expect(hist.stdout).not.toContain('managedFields');
    const kept = await run(['get', 'po/a', '-n', 'shop', '-o', 'json', '--show-managed-fields'], () => ({ body: { at: 'T', object: pod('a') } }));
    expect(JSON.parse(kept.stdout).metadata.managedFields).toEqual(MANAGED);
  });
});

describe('an empty list', () => {
  const empty = () => ({ body: { at: 'T', items: [] } });
  it('says "No resources found in X namespace." on stderr, as kubectl does', async () => {
    const r = await run(['get', 'pods', '-n', 'shop'], empty);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, '', 'No resources found in shop namespace.\n']);
    expect((await run(['get', 'deploy'], empty)).stderr).toBe('No resources found in default namespace.\n');
  });
  it('says "No resources found" across namespaces and for cluster-scoped kinds; -o json prints an empty List', async () => {
    expect((await run(['get', 'pods', '-A'], empty)).stderr).toBe('No resources found\n');
    expect((await run(['get', 'nodes'], empty)).stderr).toBe('No resources found\n');
    const json = await run(['get', 'pods', '-n', 'shop', '-o', 'json'], empty);
    expect([JSON.parse(json.stdout).items, json.stderr]).toEqual([[], '']);
  });
});

describe('history of an object that never existed', () => {
  const message = 'Pod ghost in namespace shop did not exist at 2026-01-10T12:00:00Z; kubetime has no record of it';
  const replies = (url: URL): Reply =>
    url.pathname === '/v1/history' ? { body: { cluster: 'c1', items: [] } } : { status: 404, body: { error: { code: 'NOT_FOUND', message, details: { existed: [] } } } };

  it('prints the server\'s not-found message, like get, and exits 1', async () => {
    const r = await run(['history', 'po/ghost', '-n', 'shop'], replies);
    expect([r.code, r.stdout, r.stderr]).toEqual([1, '', `error: ${message}\n`]);
    expect(r.urls[1]!.pathname).toBe('/v1/object');
    expect(Object.fromEntries(r.urls[1]!.searchParams)).toEqual({ kind: 'po', name: 'ghost', namespace: 'shop', at: 'now' });
  });

  it('prints an empty history for an object that exists but did not change in the window', async () => {
    const r = await run(['history', 'po/a', '-n', 'shop', '--to', 'now-1h'], (url) => (url.pathname === '/v1/history' ? { body: { items: [] } } : { body: { object: pod('a') } }));
    expect(r.code).toBe(0);
    expect(r.urls[1]!.searchParams.get('at')).toBe('now-1h');
    expect(r.stdout.split('\n')[0]).toMatch(/^TIME\s+OP/);
  });
});

describe('events', () => {
  const ev = (ns: string, name: string, type: string, last: string) => ({
    apiVersion: 'v1', kind: 'Event', type, reason: `R-${name}`, message: 'm', lastTimestamp: last,
    metadata: { name, namespace: ns, managedFields: MANAGED }, involvedObject: { kind: 'Pod', name: `p-${name}` },
  });
  const items = [ev('b', 'e2', 'Warning', '2026-01-10T10:02:00Z'), ev('a', 'e3', 'Normal', '2026-01-10T10:03:00Z'), ev('a', 'e1', 'Warning', '2026-01-10T10:01:00Z')];

  it('across namespaces: a NAMESPACE column, oldest first', async () => {
    const r = await run(['events', '--from', 'now-1h'], () => ({ body: { items } }));
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAMESPACE\s+LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 2).join(' '))).toEqual(['a 2026-01-10T10:01:00Z', 'b 2026-01-10T10:02:00Z', 'a 2026-01-10T10:03:00Z']);
    expect((await run(['events', '--from', 'now-1h', '-n', 'a'], () => ({ body: { items } }))).stdout).toMatch(/^LAST SEEN/);
  });

  it('--type Warning asks the server and filters what a server without the filter sends', async () => {
    const r = await run(['events', '--from', 'now-1h', '--type', 'Warning'], () => ({ body: { items } }));
    expect(r.urls[0]!.searchParams.get('type')).toBe('Warning');
    expect(r.stdout).not.toContain('Normal');
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(3);
    const none = await run(['events', '--from', 'now-1h', '-n', 'b', '--type', 'Normal'], () => ({ body: { items: items.slice(0, 1) } }));
    expect([none.stdout, none.stderr]).toEqual(['', 'No resources found in b namespace.\n']);
    const json = await run(['events', '--from', 'now-1h', '--type', 'warning', '-o', 'json'], () => ({ body: { items } }));
    expect(JSON.parse(json.stdout).items.map((e: { metadata: { name: string } }) => e.metadata.name)).toEqual(['e2', 'e1']);
    expect(json.stdout).not.toContain('managedFields');
  });
});

describe('--help', () => {
  it('lists every flag each command accepts, each with what it does', async () => {
    for (const command of CLIENT_COMMANDS) {
      const r = await run([command, '--help']);
      expect(r.code, command).toBe(0);
      for (const f of commandFlags(command)) {
        const flagLines = r.stdout.split('Flags:\n')[1]!.split('\n');
        const line = flagLines.find((l) => new RegExp(`--${f.long}(\\s|$)`).test(l));
        expect(line, `${command} --${f.long}`).toBeDefined();
        if (f.short) expect(line, `${command} -${f.short}`).toContain(`-${f.short}, --${f.long}`);
        expect(line!.trim().split(/\s{3,}/).length, `${command} --${f.long} has a description`).toBeGreaterThan(1);
      }
    }
  });

  it('says what --actor matches', async () => {
    expect((await run(['changes', '--help'])).stdout).toMatch(/--actor USER\s+.*alice matches alice@example\.com/);
  });

  it('the top-level usage names only flags the commands accept', () => {
    for (const command of CLIENT_COMMANDS) {
      const line = MAIN_USAGE.split('\n').find((l) => l.trim().startsWith(`kubetime ${command} `) || l.trim() === `kubetime ${command}`);
      expect(line, command).toBeDefined();
      const flags = commandFlags(command);
      for (const m of line!.matchAll(/(?<![\w-])--?([A-Za-z][\w-]*)/g)) {
        const name = m[1]!;
        const known = m[0].startsWith('--') ? flags.some((f) => f.long === name) : flags.some((f) => f.short === name);
        expect(known, `${command}: ${m[0]}`).toBe(true);
      }
    }
  });
});
