/**
 * Open watch connections and the fan-out of events to them. Each event is serialized once
 * (the stored JSON wrapped in its `{"type","object"}` line) and the same string is written to
 * every matching watcher. Also: bookmarks, watch timeouts, slow-consumer cut-off, and the
 * stall/drop faults.
 */
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { matchLabels, type Requirement, type Selector } from '../k8s/selectors.ts';
import type { KubeObject } from '../k8s/object.ts';
import type { Cluster } from './cluster.ts';
import type { ResourceType } from './resources.ts';
import type { LogEntry, ResourceTable, Version } from './resource-table.ts';
import { failureStatus } from './status.ts';
import { realTimers, type Timers } from './timers.ts';

/** A parsed watch request. */
export interface WatchRequest {
  type: ResourceType;
  namespace?: string;
  labels?: Requirement[];
  fields?: Selector;
  bookmarks: boolean;
  timeoutSeconds: number;
  /** Absent: send the current state as ADDED events first (resourceVersion "" or "0"). */
  fromRv?: number;
}

export interface WatchHubOptions {
  /** How often watchers that asked for bookmarks get one. Default 60 s. */
  bookmarkIntervalMs?: number;
  /** A watcher whose unsent output exceeds this is disconnected (slow consumer). Default 64 MiB. */
  maxBufferBytes?: number;
  timers?: Timers;
  logger?: Logger;
}

/** How a stall ends: deliver what was held back, or cut the connection (a dead TCP peer). */
export interface StallOptions {
  /** Also stall watches opened while the stall lasts. Default false. */
  includeNew?: boolean;
  /** Default 'resume'. */
  after?: 'resume' | 'drop';
}

interface Watcher {
  res: ServerResponse;
  req: WatchRequest;
  /** Events at or below this revision were already sent (or predate the watch). */
  minRv: number;
  stall?: { after: 'resume' | 'drop'; pending: string[]; token: object };
  timer: unknown;
}

const CHUNK = 1 << 20;

function line(type: string, json: string): string {
  return `{"type":"${type}","object":${json}}\n`;
}

export class WatchHub {
  private readonly cluster: Cluster;
  private readonly byGk = new Map<string, Set<Watcher>>();
  private readonly timers: Timers;
  private readonly maxBuffer: number;
  private readonly log: Logger | undefined;
  private readonly bookmarkTimer: unknown;
  private readonly unsubscribe: () => void;
  private stallNew: { after: 'resume' | 'drop'; token: object } | undefined;

  constructor(cluster: Cluster, opts: WatchHubOptions = {}) {
    this.cluster = cluster;
    this.timers = opts.timers ?? realTimers;
    this.maxBuffer = opts.maxBufferBytes ?? 64 << 20;
    this.log = opts.logger;
    this.unsubscribe = cluster.onEvent((t, e) => this.fanOut(t, e));
    this.bookmarkTimer = this.timers.setInterval(() => this.sendBookmarks(), opts.bookmarkIntervalMs ?? 60_000);
  }

  /** Number of open watch connections. */
  get size(): number {
    let n = 0;
    for (const s of this.byGk.values()) n += s.size;
    return n;
  }

  /** Starts streaming to `res` (the caller has validated the request). */
  open(res: ServerResponse, req: WatchRequest): void {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    const table = this.cluster.table(req.type);
    if (req.fromRv !== undefined && req.fromRv < this.cluster.compactedRevision) {
      this.expire(res, `too old resource version: ${req.fromRv} (${this.cluster.compactedRevision})`);
      return;
    }
    const w: Watcher = { res, req, minRv: Math.max(req.fromRv ?? 0, this.cluster.resourceVersion), timer: undefined };
    if (this.stallNew) w.stall = { ...this.stallNew, pending: [] };
    this.writeBacklog(w, table);
    let set = this.byGk.get(req.type.gk);
    if (!set) this.byGk.set(req.type.gk, (set = new Set()));
    set.add(w);
    const forget = () => {
      this.timers.clearTimeout(w.timer);
      set.delete(w);
    };
    w.timer = this.timers.setTimeout(() => {
      forget();
      res.end();
    }, req.timeoutSeconds * 1000);
    // A watcher leaves the fan-out as soon as its response ends, so nothing writes after end.
    res.on('close', forget);
    res.on('finish', forget);
    res.on('error', forget);
  }

  /** Sends the watch-level 410: an ERROR event with an Expired Status, then closes. */
  expire(res: ServerResponse, message: string): void {
    if (!res.headersSent) {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    }
    res.end(line('ERROR', JSON.stringify(failureStatus('Expired', message))));
  }

  /** Initial state (ADDED for everything) or the replay of events after `fromRv`. */
  private writeBacklog(w: Watcher, table: ResourceTable): void {
    let chunk = '';
    const flush = (force: boolean) => {
      if (chunk && (force || chunk.length >= CHUNK)) {
        this.send(w, chunk, true);
        chunk = '';
      }
    };
    if (w.req.fromRv === undefined) {
      const page = table.page({ at: 'latest', namespace: w.req.namespace, filter: (v) => this.matchesVersion(w.req, v) });
      for (const v of page.items) {
        chunk += line('ADDED', v.json!);
        flush(false);
      }
    } else {
      for (const e of table.eventsAfter(w.req.fromRv)) {
        const type = this.eventTypeFor(w.req, e, undefined);
        if (type) chunk += line(type, e.json);
        flush(false);
      }
    }
    flush(true);
  }

  private matchesVersion(req: WatchRequest, v: Version): boolean {
    if (req.labels?.length && !matchLabels(req.labels, v.labels)) return false;
    return !req.fields || req.fields(v.obj ?? (JSON.parse(v.json!) as KubeObject));
  }

  /** The event type this watcher should see for `e`, or null to skip it. */
  private eventTypeFor(req: WatchRequest, e: LogEntry, parsed: { obj?: KubeObject } | undefined): string | null {
    if (req.namespace && req.type.namespaced && e.namespace !== req.namespace) return null;
    if (req.fields) {
      const holder = parsed ?? {};
      holder.obj ??= JSON.parse(e.json) as KubeObject;
      if (!req.fields(holder.obj)) return null;
    }
    if (!req.labels?.length) return e.type;
    const now = matchLabels(req.labels, e.labels);
    if (e.type !== 'MODIFIED') return now ? e.type : null;
    const before = matchLabels(req.labels, e.prevLabels);
    if (now && before) return 'MODIFIED';
    if (now) return 'ADDED';
    return before ? 'DELETED' : null;
  }

  private fanOut(table: ResourceTable, e: LogEntry): void {
    const set = this.byGk.get(table.type.gk);
    if (!set || set.size === 0) return;
    const lines = new Map<string, string>();
    const parsed: { obj?: KubeObject } = {};
    for (const w of set) {
      if (e.rv <= w.minRv) continue;
      const type = this.eventTypeFor(w.req, e, parsed);
      if (!type) continue;
      let l = lines.get(type);
      if (l === undefined) lines.set(type, (l = line(type, e.json)));
      this.send(w, l, false);
    }
  }

  private send(w: Watcher, text: string, backlog: boolean): void {
    if (w.res.writableEnded || w.res.destroyed) return;
    if (w.stall) {
      if (w.stall.after === 'resume') w.stall.pending.push(text);
      return;
    }
    w.res.write(text);
    if (!backlog && w.res.writableLength > this.maxBuffer) {
      this.log?.warn({ resource: w.req.type.resource, buffered: w.res.writableLength }, 'closing watch of a slow consumer');
      w.res.destroy();
    }
  }

  /** Sends a BOOKMARK with the current revision to every watcher that asked for bookmarks. */
  sendBookmarks(): void {
    const rv = this.cluster.resourceVersion;
    for (const set of this.byGk.values()) {
      for (const w of set) {
        if (!w.req.bookmarks || w.stall) continue;
        const t = w.req.type;
        const obj = { kind: t.kind, apiVersion: t.apiVersion, metadata: { resourceVersion: String(Math.max(rv, w.minRv)) } };
        this.send(w, line('BOOKMARK', JSON.stringify(obj)), false);
      }
    }
  }

  private *watchers(): Generator<Watcher> {
    for (const set of this.byGk.values()) yield* set;
  }

  /** Cuts every open watch connection abruptly (no final chunk). Returns how many. */
  dropAll(): number {
    let n = 0;
    for (const w of [...this.watchers()]) {
      w.res.destroy();
      n++;
    }
    return n;
  }

  /** Ends every open watch cleanly, as the apiserver does when a watch times out. */
  endAll(): number {
    let n = 0;
    for (const w of [...this.watchers()]) {
      if (!w.res.writableEnded) w.res.end();
      n++;
    }
    return n;
  }

  /** Holds back every event and bookmark from the open watches for `ms`. */
  stall(ms: number, opts: StallOptions = {}): void {
    const token = {};
    const after = opts.after ?? 'resume';
    for (const w of this.watchers()) if (!w.stall) w.stall = { after, pending: [], token };
    if (opts.includeNew) this.stallNew = { after, token };
    this.timers.setTimeout(() => {
      if (this.stallNew?.token === token) this.stallNew = undefined;
      for (const w of [...this.watchers()]) {
        if (w.stall?.token !== token) continue;
        const held = w.stall.pending;
        w.stall = undefined;
        if (after === 'drop') w.res.destroy();
        else if (held.length) this.send(w, held.join(''), true);
      }
    }, ms);
  }

  close(): void {
    this.timers.clearInterval(this.bookmarkTimer);
    this.unsubscribe();
    this.dropAll();
  }
}
