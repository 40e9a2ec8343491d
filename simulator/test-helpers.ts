/**
 * Helpers for tests that talk to the simulator over HTTP (also usable by other modules' tests):
 * reading a watch stream line by line with a deadline.
 */

import { ACTORS, by } from './actors.ts';
import { Cluster } from './cluster.ts';
import { ManualClock } from './manual-clock.ts';
import { SimServer } from './server.ts';

/** One decoded watch event. */
export interface WatchLine {
  type: string;
  object: Record<string, unknown> & { metadata?: Record<string, unknown> };
}

function timeoutError(): Error {
  const e = new Error('timed out waiting for a watch event');
  e.name = 'WatchTimeout';
  return e;
}

/** Reads newline-delimited JSON from a fetch Response body. */
export class LineReader {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private buffer = '';
  private done = false;
  private pending: ReturnType<ReadableStreamDefaultReader<Uint8Array>['read']> | undefined;

  constructor(res: Response) {
    if (!res.body) throw new Error('response has no body');
    this.reader = res.body.getReader();
  }

  /** The next event, or undefined when the stream ended; rejects after `timeoutMs`. */
  async next(timeoutMs = 2000): Promise<WatchLine | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const nl = this.buffer.indexOf('\n');
      if (nl >= 0) {
        const text = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        return JSON.parse(text) as WatchLine;
      }
      if (this.done) return undefined;
      const left = deadline - Date.now();
      if (left <= 0) throw timeoutError();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), left)));
      // A read left pending by a timeout is kept and awaited next time, so no data is lost.
      this.pending ??= this.reader.read();
      const r = await Promise.race([this.pending, timeout]).finally(() => clearTimeout(timer));
      if (r === 'timeout') throw timeoutError();
      this.pending = undefined;
      if (r.done) this.done = true;
      else this.buffer += this.decoder.decode(r.value, { stream: true });
    }
  }

  /** Reads `n` events. */
  async take(n: number, timeoutMs = 2000): Promise<WatchLine[]> {
    const out: WatchLine[] = [];
    while (out.length < n) {
      const l = await this.next(timeoutMs);
      if (!l) break;
      out.push(l);
    }
    return out;
  }

  /** Resolves true when nothing arrives within `ms` (the stream stays open and silent). */
  async silentFor(ms: number): Promise<boolean> {
    try {
      await this.next(ms);
      return false;
    } catch (e) {
      if ((e as Error).name === 'WatchTimeout') return true;
      throw e;
    }
  }

  async cancel(): Promise<void> {
    await this.reader.cancel().catch(() => undefined);
  }
}

/** A ConfigMap manifest for fixtures. */
export function cm(ns: string, name: string, labels: Record<string, string> = {}) {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, labels }, data: { k: name } };
}

/** A simulator server over five ConfigMaps in namespaces a, b, c, on a manual clock. */
export interface ServerFixture {
  cluster: Cluster;
  server: SimServer;
  url: string;
  get(path: string, init?: RequestInit): Promise<{ status: number; body: any; headers: Headers }>;
  watch(path: string): Promise<LineReader>;
  close(): Promise<void>;
}

export async function startServerFixture(): Promise<ServerFixture> {
  const cluster = new Cluster({ clock: new ManualClock(), seed: 7, compactionWindow: { revisions: 1000 } });
  const admin = by(ACTORS.admin, 'create');
  for (const [ns, name] of [['a', 'one'], ['a', 'two'], ['b', 'three'], ['b', 'four'], ['c', 'five']] as const) {
    cluster.create(cm(ns, name, { app: name, tier: ns === 'a' ? 'web' : 'db' }), admin);
  }
  const server = new SimServer({ cluster, bookmarkIntervalMs: 60_000 });
  const url = await server.start();
  return {
    cluster, server, url,
    async get(path, init) {
      const res = await fetch(url + path, init);
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
    },
    async watch(path) {
      const res = await fetch(url + path);
      if (res.status !== 200) throw new Error(`watch ${path}: HTTP ${res.status}`);
      return new LineReader(res);
    },
    close: () => server.close(),
  };
}
