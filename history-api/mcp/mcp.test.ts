/**
 * The MCP server as agents meet it, through the SDK's own client: over stdio (`kubetime mcp`
 * spawned on a data dir) and over streamable HTTP (`/mcp` on the server), against a seeded
 * simulator scenario. Each tool's schema, answers, paging and budget; bad arguments.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import pino from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHistoryQueries } from '../../core/queries.ts';
import { formatTime } from '../../core/time.ts';
import { LmdbHistoryStore } from '../../store/lmdb/lmdb-history-store.ts';
import { buildServer, type HistoryServer } from '../server.ts';
import { seedStore, type SeededHistory } from '../testing/seeded-store.ts';
import { injectGet } from './backend.ts';
import { createMcpServer, serveMcp } from './server.ts';

type Answer = { isError?: boolean; content: { type: string; text: string }[] };

const dir = mkdtempSync(join(tmpdir(), 'kubetime-mcp-'));
let seeded: SeededHistory;
let store: LmdbHistoryStore;
let app: HistoryServer;
let base: string;
const logLines: Record<string, unknown>[] = [];
const clients: Client[] = [];

const TOOL_NAMES = ['get_resource', 'list_resources', 'get_history', 'diff', 'related', 'who_changed', 'events', 'describe', 'failures'];

async function connectHttp(): Promise<Client> {
  const client = new Client({ name: 'mcp-test', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`)));
  clients.push(client);
  return client;
}

async function spawnMcp(args: string[]): Promise<Client> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'KUBETIME_SERVER') env[k] = v;
  const client = new Client({ name: 'mcp-test-stdio', version: '1' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: ['bin/kubetime.js', 'mcp', ...args, '--log-level', 'warn'], env, stderr: 'ignore' }));
  clients.push(client);
  return client;
}

const connectStdio = () => spawnMcp(['--data-dir', dir]);
const connectStdioRemote = () => spawnMcp(['--server', base]);

/** A client of an in-process server with its own budget (the budget tests). */
async function connectWithBudget(budgetTokens: number): Promise<Client> {
  const server = createMcpServer({ get: injectGet(app), budgetTokens, logger: pino({ level: 'silent' }) as unknown as FastifyBaseLogger });
  const [c, s] = InMemoryTransport.createLinkedPair();
  await serveMcp(server, s, { logger: pino({ level: 'silent' }) as unknown as FastifyBaseLogger });
  const client = new Client({ name: 'budget-test', version: '1' });
  await client.connect(c);
  clients.push(client);
  return client;
}

async function call(client: Client, name: string, args: Record<string, unknown>): Promise<Record<string, any>> { // manifests are untyped JSON
  const r = (await client.callTool({ name, arguments: args })) as Answer;
  expect(r.isError, r.content[0]?.text).toBeFalsy();
  return JSON.parse(r.content[0]!.text);
}

async function refusal(client: Client, name: string, args: Record<string, unknown>): Promise<string> {
  const r = (await client.callTool({ name, arguments: args })) as Answer;
  expect(r.isError).toBe(true);
  return r.content[0]!.text;
}

beforeAll(async () => {
  seeded = await seedStore(dir, { seconds: 600 });
  store = LmdbHistoryStore.open({ path: join(dir, 'store') });
  const sink = new Writable({ write(chunk, _e, cb) { for (const l of String(chunk).split('\n')) if (l) logLines.push(JSON.parse(l)); cb(); } });
  const logger = pino({ level: 'info' }, sink) as unknown as FastifyBaseLogger;
  app = buildServer({ queries: createHistoryQueries({ store }), clock: { now: () => seeded.end }, logger, mcp: {} });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
}, 60_000);

afterAll(async () => {
  for (const c of clients) await c.close().catch(() => undefined);
  await app?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const END = () => formatTime(seeded.end);
const TEN_MIN_BEFORE = () => formatTime(seeded.end - 600e6 + 60e6); // inside the seeded history

describe.each([
  ['HTTP /mcp', connectHttp],
  ['stdio (kubetime mcp --data-dir)', connectStdio],
  ['stdio (kubetime mcp --server)', connectStdioRemote],
])('MCP over %s', (_name, connect) => {
  let client: Client;
  beforeAll(async () => {
    client = await connect();
  }, 30_000);

  it('lists every tool, read-only, with a description and an input schema naming its arguments', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(TOOL_NAMES);
    for (const t of tools) {
      expect(t.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false });
      expect(t.description!.length).toBeGreaterThan(80);
      expect(t.inputSchema.type).toBe('object');
    }
    const required = Object.fromEntries(tools.map((t) => [t.name, t.inputSchema.required ?? []]));
    expect(required).toEqual({
      get_resource: ['kind', 'name'], list_resources: ['kind'], get_history: ['kind', 'name'], diff: ['kind', 'from'],
      related: ['kind', 'name'], who_changed: [], events: [], describe: ['kind', 'name'], failures: [],
    });
    const get = tools.find((t) => t.name === 'get_resource')!;
    expect((get.inputSchema.properties as Record<string, { enum?: string[]; default?: string }>)['view']).toMatchObject({ enum: ['summary', 'full', 'raw'], default: 'full' });
    expect(Object.keys(get.inputSchema.properties ?? {})).toEqual(['kind', 'name', 'namespace', 'at', 'view', 'fields', 'cluster']);
  });

  it('list_resources: kubectl-like rows as of a time, the asOf it is about and a deep link', async () => {
    const a = await call(client, 'list_resources', { kind: 'pods', namespace: 'shop', at: END() });
    expect(a.asOf).toBe(END());
    expect(a.columns).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'NODE']);
    expect(a.items.length).toBeGreaterThan(3);
    expect(a.link).toMatch(/\/v1\/objects\?kind=pods&namespace=shop&at=2026-01-10T10%3A10%3A00Z$/);
  });

  it('get_resource: the manifest without managedFields (full), or a summary row, with the revision that made it', async () => {
    const full = await call(client, 'get_resource', { kind: 'deploy', name: 'billing', namespace: 'shop', at: TEN_MIN_BEFORE() });
    expect(full.asOf).toBe(TEN_MIN_BEFORE());
    expect(full.object.kind).toBe('Deployment');
    expect(full.object.metadata).not.toHaveProperty('managedFields');
    expect(full.revision).toHaveProperty('ts');
    const row = await call(client, 'get_resource', { kind: 'deploy', name: 'billing', namespace: 'shop', at: END(), view: 'summary' });
    expect(Object.keys(row.object)).toEqual(['NAMESPACE', 'NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
  });

  it('a bad argument is a tool error naming it, never a crash', async () => {
    expect(await refusal(client, 'get_resource', { name: 'billing' })).toMatch(/kind/);
    expect(await refusal(client, 'get_resource', { kind: 'deploy', name: 'billing', namespace: 'Not_A_Namespace', at: END() })).toMatch(/^namespace: /);
    expect(await refusal(client, 'list_resources', { kind: 'pods', at: 'yesterday' })).toMatch(/^at: /);
    expect(await refusal(client, 'list_resources', { kind: 'no-such-kind', at: END() })).toMatch(/^kind: /);
    expect(await refusal(client, 'related', { kind: 'deploy', name: 'billing', namespace: 'shop', hops: 9 })).toMatch(/hops/);
    // still serving afterwards
    expect((await call(client, 'list_resources', { kind: 'nodes', at: END() })).items.length).toBeGreaterThan(0);
  });
});

describe('MCP tools (over HTTP)', () => {
  let client: Client;
  beforeAll(async () => {
    client = await connectHttp();
  });

  it('pages: limit + continue walk the list without overlap, at the first page\'s asOf', async () => {
    const first = await call(client, 'list_resources', { kind: 'pods', at: 'now-1m', limit: 4 });
    expect(first.items).toHaveLength(4);
    expect(first.next).toMatch(/call list_resources again .*continue=/);
    const second = await call(client, 'list_resources', { kind: 'pods', at: 'now-1m', limit: 4, continue: first.continue });
    expect(second.asOf).toBe(first.asOf);
    const names = (a: Record<string, any>) => a.items.map((r: string[]) => `${r[0]}/${r[1]}`); // manifests are untyped JSON
    expect(names(second).filter((n: string) => names(first).includes(n))).toEqual([]);
  });

  it('stays within the token budget by answering a smaller page, never a cut document', async () => {
    const small = await connectWithBudget(4000);
    const r = (await small.callTool({ name: 'list_resources', arguments: { kind: 'pods', view: 'full', at: END() } })) as Answer;
    const text = r.content[0]!.text;
    expect(Buffer.byteLength(text) / 4).toBeLessThanOrEqual(4000);
    const a = JSON.parse(text);
    expect(a.items.length).toBeGreaterThan(0);
    expect(a.continue).toBeTypeOf('string');
    expect(a.next).toMatch(/within 4000 tokens/);
    const big = await call(client, 'list_resources', { kind: 'pods', view: 'full', at: END() });
    expect(big.items.length).toBeGreaterThan(a.items.length);
  });

  it('a single manifest over budget comes back as its summary row with a note', async () => {
    const tiny = await connectWithBudget(500);
    const a = await call(tiny, 'get_resource', { kind: 'deploy', name: 'billing', namespace: 'shop', at: END() });
    expect(a.object).toHaveProperty('READY');
    expect(a.note).toMatch(/over the 500-token budget/);
  });

  it('describe: a crash-looping Pod with its containers\' states, owner chain, Events and last changes', async () => {
    const pods = await call(client, 'list_resources', { kind: 'pods', at: END() });
    const crashing = (pods.items as string[][]).find((r) => r[3] === 'CrashLoopBackOff');
    expect(crashing, JSON.stringify(pods.items)).toBeDefined();
    const [ns, name] = crashing!;
    const d = await call(client, 'describe', { kind: 'pod', name, namespace: ns, at: END() });
    expect(d.asOf).toBe(END());
    expect(d.summary.STATUS).toBe('CrashLoopBackOff');
    const app = d.containers.find((c: { current?: { reason?: string } }) => c.current?.reason === 'CrashLoopBackOff');
    expect(app.last).toMatchObject({ state: 'Terminated' });
    expect(d.owners.map((o: { ref: string }) => o.ref.split(' ')[0])).toEqual(['ReplicaSet', 'Deployment']);
    expect(d.events.items.some((e: { reason: string }) => e.reason === 'BackOff')).toBe(true);
    expect(d.lastChanges.length).toBeGreaterThan(0);
  });

  it('failures: the crash-looping Pod as a span with its evidence and ranked suspects', async () => {
    const f = await call(client, 'failures', { from: 'now-10m', to: END(), kind: 'pod' });
    expect(f.asOf).toBe(END());
    const crash = f.items.find((i: { reason: string }) => i.reason === 'CrashLoopBackOff');
    expect(crash, JSON.stringify(f.items.map((i: { reason: string }) => i.reason))).toBeDefined();
    expect(crash.object.kind).toBe('Pod');
    expect(crash.evidence).toHaveProperty('container');
    expect(Array.isArray(crash.suspects)).toBe(true);
    expect(f.link).toMatch(/\/v1\/failures\?/);
    expect(await refusal(client, 'failures', { from: 'now-10m', suspect_window: 'soon' })).toMatch(/suspect_window/);
  });

  it('who_changed: people\'s changes newest first, system actors counted unless asked for', async () => {
    const people = await call(client, 'who_changed', { from: 'now-10m' });
    expect(people.items.length).toBeGreaterThan(0);
    expect(people.items.every((i: { actor?: string }) => !i.actor?.startsWith('system:'))).toBe(true);
    expect(people.systemChanges).toMatch(/left out/);
    expect(people.link).toMatch(/excludeSystem=true/);
    const ts = people.items.map((i: { ts: string }) => Date.parse(i.ts));
    expect([...ts].sort((x, y) => y - x)).toEqual(ts);
    const everyone = await call(client, 'who_changed', { from: 'now-2m', include_system: true, limit: 50 });
    expect(everyone.items.some((i: { actor?: string }) => i.actor?.startsWith('system:'))).toBe(true);
  });

  it('events: folded, Warning only when asked, newest first', async () => {
    const ev = await call(client, 'events', { from: 'now-10m', type: 'Warning' });
    expect(ev.items.length).toBeGreaterThan(0);
    expect(ev.items.every((e: { type: string }) => e.type === 'Warning')).toBe(true);
    const last = ev.items.map((e: { last: string }) => Date.parse(e.last));
    expect([...last].sort((x, y) => y - x)).toEqual(last);
    expect(ev.items[0]).toHaveProperty('count');
  });

  it('related, diff and get_history answer about one Deployment', async () => {
    const rel = await call(client, 'related', { kind: 'deploy', name: 'billing', namespace: 'shop', at: END() });
    expect(rel.edges.some((e: string) => / scheduled-on Node /.test(e))).toBe(true);
    const scope = await call(client, 'diff', { kind: 'pods', namespace: 'shop', from: 'now-5m', to: END() });
    expect(scope.added.length + scope.removed.length).toBeGreaterThan(0);
    if (scope.added[0]) expect(scope.added[0].summary).toHaveProperty('STATUS');
    const one = await call(client, 'diff', { kind: 'deploy', name: 'billing', namespace: 'shop', from: 'now-5m', to: END() });
    for (const c of one.changes) expect(c).toHaveProperty('path');
    const h = await call(client, 'get_history', { kind: 'deploy', name: 'billing', namespace: 'shop', limit: 5 });
    expect(h.items).toHaveLength(5);
    expect(h.continue).toBeTypeOf('string');
  });

  it('/mcp refuses what is not MCP without falling over: a bad JSON-RPC body, a GET', async () => {
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const bad = await fetch(`${base}/mcp`, { method: 'POST', headers, body: JSON.stringify({ hello: 'world' }) });
    expect(bad.status).toBe(400);
    const notJson = await fetch(`${base}/mcp`, { method: 'POST', headers, body: '{"jsonrpc":' });
    expect(notJson.status).toBe(400);
    expect((await fetch(`${base}/mcp`)).status).toBe(405);
    expect((await call(client, 'list_resources', { kind: 'nodes', at: END() })).items.length).toBeGreaterThan(0);
  });

  it('logs every tool call and HTTP query in one line shape', async () => {
    await refusal(client, 'get_resource', { kind: 'deploy' });
    const calls = logLines.filter((l) => l['msg'] === 'call');
    const mcp = calls.findLast((l) => l['surface'] === 'mcp' && l['call'] === 'get_resource' && l['status'] === 'error');
    // Stateless HTTP: each request is a fresh session, so the caller is known by its address.
    expect(mcp).toMatchObject({ args: { kind: 'deploy' }, caller: { ip: '127.0.0.1' } });
    expect(mcp!['bytes']).toBeGreaterThan(0);
    await fetch(`${base}/v1/objects?kind=nodes&at=${END()}&view=summary`);
    const http = logLines.find((l) => l['msg'] === 'call' && l['surface'] === 'http');
    expect(http).toMatchObject({ call: '/v1/objects', args: { kind: 'nodes', view: 'summary' }, status: 200, caller: { ip: '127.0.0.1' } });
    // The HTTP queries a tool call makes are logged with it, not again at info.
    expect(logLines.filter((l) => l['msg'] === 'call' && (l['caller'] as { via?: string })?.via === 'mcp')).toEqual([]);
    for (const l of [mcp!, http!]) expect(Object.keys(l)).toEqual(expect.arrayContaining(['surface', 'call', 'args', 'caller', 'status', 'bytes', 'ms']));
  });
});
