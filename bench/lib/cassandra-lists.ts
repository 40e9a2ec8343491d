/**
 * Where a list as of T spends its time (bench/cassandra.ts): per list, Node CPU (every thread),
 * Cassandra requests, their round trips (driver call to answer: network, Cassandra's JVM, the
 * driver's own encoding and decoding, and waiting for this event loop), and the wall time during
 * which no request was in flight (work in this process that no Cassandra read overlapped).
 */
import { performance } from 'node:perf_hooks';
import cassandra from 'cassandra-driver';
import type { Profiler } from 'node:inspector';
import type { HistoryStore } from '../../core/ports.ts';
import { fmt, processCpuMs, summary } from './stats.ts';

interface Cost { wall: number; cpu: number; requests: number; roundTrip: number; idle: number; tables: Map<string, number>; server: number }

let inFlight = 0;
let idleSince = performance.now();
let idleMs = 0;
let roundTripMs = 0;
let patched = false;
/** Driver executes by the table they read or write (FROM/INTO/UPDATE name). */
let tables = new Map<string, number>();

/** Times every driver execute (the store's reads go through Client.execute); once per process. */
function patchDriver(): void {
  if (patched) return;
  patched = true;
  const proto = cassandra.Client.prototype as unknown as { execute: (...args: unknown[]) => unknown };
  const execute = proto.execute;
  proto.execute = function (this: unknown, ...args: unknown[]) {
    const answer = execute.apply(this, args);
    if (typeof args.at(-1) === 'function' || !(answer instanceof Promise)) return answer;
    const table = /\b(?:FROM|INTO|UPDATE)\s+(\w+)/i.exec(String(args[0]))?.[1] ?? '?';
    tables.set(table, (tables.get(table) ?? 0) + 1);
    const s = performance.now();
    if (inFlight++ === 0) idleMs += s - idleSince;
    const done = () => {
      const e = performance.now();
      roundTripMs += e - s;
      if (--inFlight === 0) idleSince = e;
    };
    answer.then(done, done);
    return answer;
  };
}

/** `serverPid`: Cassandra's process on this machine, to count its CPU per list. */
export function listCosts(cass: HistoryStore & { requests: number }, lists: number, serverPid?: number) {
  patchDriver();
  const costs = new Map<string, { lmdb: Cost[]; cassandra: Cost[] }>();
  return {
    /** Wraps a list query so each run records its cost under `name`. */
    measure<A extends unknown[]>(name: string, q: (s: HistoryStore, ...rest: A) => Promise<unknown>) {
      const c = { lmdb: [] as Cost[], cassandra: [] as Cost[] };
      costs.set(name, c);
      return async (s: HistoryStore, ...rest: A) => {
        const cpu = process.cpuUsage();
        const server = processCpuMs(serverPid);
        const [req, rt] = [cass.requests, roundTripMs];
        const start = performance.now();
        idleMs = 0;
        tables = new Map();
        if (inFlight === 0) idleSince = start;
        await q(s, ...rest);
        const end = performance.now();
        const idle = idleMs + (inFlight === 0 ? end - Math.max(idleSince, start) : 0);
        const used = process.cpuUsage(cpu);
        (s === cass ? c.cassandra : c.lmdb).push({
          wall: end - start, cpu: (used.user + used.system) / 1000, requests: cass.requests - req, roundTrip: roundTripMs - rt, idle, tables: new Map(tables), server: processCpuMs(serverPid) - server,
        });
      };
    },
    report(listed: number, summaryBytes: number): string[] {
      const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / Math.max(1, xs.length);
      const rows = [...costs].flatMap(([name, c]) => (['lmdb', 'cassandra'] as const).map((store) => {
        const xs = c[store];
        const wall = mean(xs.map((x) => x.wall));
        const cpu = summary(xs.map((x) => x.cpu));
        if (store === 'lmdb') return `| ${name} | embedded | ${fmt(wall, 0)} | ${fmt(cpu.p50, 0)} / ${fmt(mean(xs.map((x) => x.cpu)), 0)} | | | | | |`;
        const req = mean(xs.map((x) => x.requests));
        const rt = mean(xs.map((x) => x.roundTrip));
        const idle = mean(xs.map((x) => x.idle));
        const server = mean(xs.map((x) => x.server));
        return `| ${name} | Cassandra | ${fmt(wall, 0)} | ${fmt(cpu.p50, 0)} / ${fmt(mean(xs.map((x) => x.cpu)), 0)} | ${Number.isNaN(server) ? 'not measured' : fmt(server, 0)} | ${fmt(req, 1)} (${fmt(req / Math.max(1, listed), 2)} per Pod) | ${fmt(rt / Math.max(1, req), 2)} | ${fmt(rt / Math.max(1, wall - idle), 1)} | ${fmt(idle, 0)} (${fmt((100 * idle) / Math.max(1, wall), 0)}%) |`;
      }));
      const byTable = [...costs].map(([name, c]) => {
        const sum = new Map<string, number>();
        for (const x of c.cassandra) for (const [t, n] of x.tables) sum.set(t, (sum.get(t) ?? 0) + n / c.cassandra.length);
        return `${name}: ${[...sum].sort((x, y) => y[1] - x[1]).map(([t, n]) => `${t} ${fmt(n, 0)}`).join(', ')}`;
      });
      return [
        `Where the ${lists} lists of each view spend their time (means per list; Cassandra round trip = driver call to answer; in flight = round-trip time ÷ wall time with at least one request out; no request out = wall time of work in this process that no Cassandra read overlapped; Cassandra CPU from /proc of its process, with --server-pid). Both stores answer the summary view from slim objects (summaryStatesAt): the embedded store from its slim rows, Cassandra from revisions.slim (store/cassandra/summary-reader.ts: up to 100 names per request, no body, no bases); the full view rebuilds every object. Summary answer text: ${fmt(summaryBytes / Math.max(1, listed), 0)} B per Pod.`,
        ``,
        `| list | store | wall ms | Node CPU ms p50 / mean | Cassandra CPU ms (mean) | requests | ms per round trip | requests in flight (mean) | ms with no request out |`,
        `|---|---|---|---|---|---|---|---|---|`,
        ...rows,
        ``,
        `Cassandra reads per list by table (driver executes; pages of one statement are separate executes): ${byTable.join('; ')}.`,
        ``,
      ];
    },
  };
}

/** Self time of a CPU profile by where the code lives, largest first (the top 10). */
export function profileOf(p: Profiler.Profile): string[] {
  const where = new Map<number, string>();
  for (const n of p.nodes) {
    const url = n.callFrame.url;
    const fn = n.callFrame.functionName;
    where.set(n.id, url.includes('node_modules/')
      ? url.replace(/.*node_modules\/((?:@[^/]+\/)?[^/]+).*/, '$1')
      : url.includes('/store/') || url.includes('/core/') || url.includes('/history-api/') || url.includes('/bench/')
        ? url.replace(/.*\/((?:store\/cassandra|store|core|history-api|bench)\/[^/]+)$/, '$1')
        : url ? url.replace(/^node:(?:internal\/)?/, 'node ') : fn.startsWith('(') ? fn : `native ${fn || '(anonymous)'}`);
  }
  const self = new Map<string, number>();
  const deltas = p.timeDeltas ?? [];
  (p.samples ?? []).forEach((id, i) => {
    if (i === 0) return; // its delta is the time from Profiler.start to the first sample
    const w = where.get(id) ?? '?';
    self.set(w, (self.get(w) ?? 0) + (deltas[i] ?? 0) / 1000);
  });
  const total = [...self.values()].reduce((x, y) => x + y, 0);
  return [...self].sort((x, y) => y[1] - x[1]).slice(0, 10).map(([w, ms]) => `${w} ${fmt(ms, 0)} ms (${fmt((100 * ms) / total, 0)}%)`);
}
