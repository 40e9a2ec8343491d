/**
 * Two scripted agent flows (no model), each answered with kubetime's MCP tools and with the raw
 * REST API on the same seeded simulator scenario; records the calls and the tokens (bytes / 4)
 * each needs. Run: `npx node bench/agent-tools.ts [--seed 7] [--seconds 900] [--write]`
 * (--write updates bench/results/agent-tools.md).
 *
 * (a) "What did Deployment X look like 10 minutes ago, and which Pods on which nodes served it then?"
 * (b) "Why is Pod Y crash-looping, and what changed before it?"
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import pino from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { createHistoryQueries } from '../core/queries.ts';
import { formatTime } from '../core/time.ts';
import { buildServer } from '../history-api/index.ts';
import { injectGet, pathWithQuery } from '../history-api/mcp/backend.ts';
import { createMcpServer, serveMcp } from '../history-api/mcp/server.ts';
import { seedStore } from '../history-api/testing/seeded-store.ts';
import { LmdbHistoryStore } from '../store/lmdb/lmdb-history-store.ts';

type Body = Record<string, any>; // manifests are untyped JSON
interface Step { call: string; bytes: number; more?: boolean }

const { values } = parseArgs({ options: { seed: { type: 'string' }, seconds: { type: 'string' }, write: { type: 'boolean' } } });
const seed = Number(values.seed ?? 7);
const seconds = Number(values.seconds ?? 900);

const dir = mkdtempSync(join(tmpdir(), 'kubetime-agent-bench-'));
const seeded = await seedStore(dir, { seed, seconds });
const store = LmdbHistoryStore.open({ path: join(dir, 'store') });
const logger = pino({ level: 'silent' }) as unknown as FastifyBaseLogger;
const app = buildServer({ queries: createHistoryQueries({ store }), clock: { now: () => seeded.end }, logger });
const mcp = createMcpServer({ get: injectGet(app), logger });
const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
await serveMcp(mcp, serverSide, { logger });
const client = new Client({ name: 'agent-bench', version: '1' });
await client.connect(clientSide);

/** One MCP tool call: the answer text a model reads. */
async function tool(steps: Step[], name: string, args: Body): Promise<Body> {
  const r = (await client.callTool({ name, arguments: args })) as { isError?: boolean; content: { text: string }[] };
  const text = r.content[0]!.text;
  if (r.isError) throw new Error(`${name}: ${text}`);
  const body = JSON.parse(text) as Body;
  steps.push({ call: `${name} ${JSON.stringify(args)}`, bytes: Buffer.byteLength(text), more: 'continue' in body });
  return body;
}

/** One raw REST query (view=raw, the HTTP default): the body a model would read. */
async function rest(steps: Step[], path: string, query: Record<string, string | undefined>): Promise<Body> {
  const res = await app.inject({ url: pathWithQuery(path, query) });
  if (res.statusCode !== 200) throw new Error(`${path}: ${res.statusCode} ${res.body}`);
  const body = res.json() as Body;
  steps.push({ call: `GET ${decodeURIComponent(pathWithQuery(path, query))}`, bytes: Buffer.byteLength(res.body), more: 'continue' in body });
  return body;
}

const now = formatTime(seeded.end);
const tenAgo = 'now-10m';

// The subjects: the first Deployment of namespace shop 10 minutes ago, and a Pod crash-looping now.
const deploys = (await app.inject({ url: `/v1/objects?kind=deploy&namespace=shop&at=${tenAgo}&view=summary` })).json() as Body;
const X = (deploys.items as string[][])[0]![0]!;
const pods = (await app.inject({ url: '/v1/objects?kind=pods&at=now&view=summary' })).json() as Body;
const crashing = (pods.items as string[][]).find((r) => r[3] === 'CrashLoopBackOff');
if (!crashing) throw new Error('no crash-looping Pod at the end of the scenario; try another --seed');
const [yNs, Y] = crashing as [string, string];

async function flowA(): Promise<{ mcp: Step[]; rest: Step[] }> {
  const m: Step[] = [];
  const d = await tool(m, 'get_resource', { kind: 'deploy', name: X, namespace: 'shop', at: tenAgo });
  const selector = Object.entries(d.object.spec.selector.matchLabels as Record<string, string>).map(([k, v]) => `${k}=${v}`).join(',');
  await tool(m, 'list_resources', { kind: 'pods', namespace: 'shop', labelSelector: selector, at: d.asOf });
  const r: Step[] = [];
  const rd = await rest(r, '/v1/object', { kind: 'deploy', name: X, namespace: 'shop', at: tenAgo });
  const rsel = Object.entries(rd.object.spec.selector.matchLabels as Record<string, string>).map(([k, v]) => `${k}=${v}`).join(',');
  await rest(r, '/v1/objects', { kind: 'pods', namespace: 'shop', labelSelector: rsel, at: rd.at });
  return { mcp: m, rest: r };
}

async function flowB(): Promise<{ mcp: Step[]; rest: Step[] }> {
  const m: Step[] = [];
  const d = await tool(m, 'describe', { kind: 'pod', name: Y, namespace: yNs });
  await tool(m, 'who_changed', { namespace: yNs, from: 'now-30m', to: d.asOf });
  // The same questions over REST: the Pod, its Events, its owners up to the Deployment, the namespace's changes.
  const r: Step[] = [];
  const p = await rest(r, '/v1/object', { kind: 'pod', name: Y, namespace: yNs, at: 'now' });
  await rest(r, '/v1/events', { namespace: yNs, kind: 'Pod', name: Y, from: 'now-1h', to: p.at });
  let owner = p.object.metadata.ownerReferences?.[0];
  while (owner) {
    const o = await rest(r, '/v1/object', { kind: owner.kind, name: owner.name, namespace: yNs, at: p.at });
    owner = o.object.metadata.ownerReferences?.[0];
  }
  await rest(r, '/v1/changes', { namespace: yNs, from: 'now-30m', to: p.at });
  return { mcp: m, rest: r };
}

const a = await flowA();
const b = await flowB();
await client.close();
await app.close();
await store.close();
rmSync(dir, { recursive: true, force: true });

const tok = (steps: Step[]) => Math.ceil(steps.reduce((s, x) => s + x.bytes, 0) / 4);
const fmt = (n: number) => n.toLocaleString('en-US');
function section(title: string, f: { mcp: Step[]; rest: Step[] }): string {
  const rows = (label: string, steps: Step[]) => steps.map((s, i) => `| ${label} ${i + 1} | \`${s.call.replace(/\|/g, '\\|')}\` | ${fmt(Math.ceil(s.bytes / 4))}${s.more ? ' (first page only: more remain)' : ''} |`).join('\n');
  return [
    `### ${title}`, '',
    '| | calls | tokens (bytes/4) |', '|---|---|---|',
    `| MCP tools | **${f.mcp.length}** | **${fmt(tok(f.mcp))}** |`,
    `| raw REST (view=raw) | ${f.rest.length} | ${fmt(tok(f.rest))} |`,
    `| ratio REST / MCP | ${(f.rest.length / f.mcp.length).toFixed(1)}× | ${(tok(f.rest) / tok(f.mcp)).toFixed(1)}× |`, '',
    '| step | call | tokens |', '|---|---|---|', rows('MCP', f.mcp), rows('REST', f.rest), '',
  ].join('\n');
}

const report = [
  '# Agent tools: calls and tokens per question (MCP vs raw REST)', '',
  `Command: \`npx node bench/agent-tools.ts --seed ${seed} --seconds ${seconds} --write\` (Node ${process.version}, ${new Date().toISOString().slice(0, 10)}).`,
  `Scenario: the simulator's seeded scenario (seed ${seed}, ${seconds} s, ${fmt(seeded.accepted)} changes recorded through the audit sink), queried with "now" = its end, ${now}.`,
  `Subjects: Deployment shop/${X} (flow a), Pod ${yNs}/${Y}, CrashLoopBackOff at the end (flow b).`,
  'Tokens are the bytes of what the model reads (the tool answer\'s text; the REST body) / 4. Target: each flow in ≤ 3 tool calls and ≤ 6,000 tokens.', '',
  section('(a) What did Deployment X look like 10 minutes ago, and which Pods on which nodes served it then?', a),
  section('(b) Why is Pod Y crash-looping, and what changed before it?', b),
  '## Reading the figures', '',
  `- Both flows answer in ${a.mcp.length} and ${b.mcp.length} MCP calls and ${fmt(tok(a.mcp))} and ${fmt(tok(b.mcp))} tokens (target ≤ 3 calls, ≤ 6,000 tokens);`,
  `  the same questions over the raw REST API read ${(tok(a.rest) / tok(a.mcp)).toFixed(0)}× and ${(tok(b.rest) / tok(b.mcp)).toFixed(0)}× the tokens, in ${a.rest.length} and ${b.rest.length} calls.`,
  '- A REST step marked "first page only" holds the first page of its list and more remain (the change feed of a busy namespace is',
  '  mostly controllers\' and kubelets\' status updates); the MCP `who_changed` leaves out `system:` actors by default',
  '  (`excludeSystem=true` on `/v1/changes`), so what is left are people\'s changes.',
  `- MCP answers complete (no \`continue\`): ${[...a.mcp, ...b.mcp].every((s) => !s.more) ? 'all' : 'not all'}; each fits the default 16k-token budget.`,
  '- `describe` makes its reads (the Pod, its owners, its Events, its changes) in process through the same HTTP routes; they are',
  '  not tool calls the model makes.',
  '',
].join('\n');

process.stdout.write(report + '\n');
if (values.write) writeFileSync(new URL('./results/agent-tools.md', import.meta.url), report + '\n');
