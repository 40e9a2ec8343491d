/**
 * The simulated Kubernetes API server: plain HTTP on loopback, serving discovery, get, list and
 * watch (and simple writes) for every registered resource type, with fault injection hooks.
 * Clients reach it through a kubeconfig (see kubeconfig.ts), as they would a real cluster.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { AuditUser, Cluster } from './cluster.ts';
import { apiGroup, apiGroupList, apiResourceList, apiVersions, versionInfo } from './discovery.ts';
import { Faults, type FaultTarget } from './faults.ts';
import { notFoundPath, sendJson, sendStatus, type ApiTarget } from './http-util.ts';
import { handleCollection, handleGet, type ReadDeps } from './read-api.ts';
import type { ResourceRegistry } from './resources.ts';
import { failureStatus, statusFromError } from './status.ts';
import type { Timers } from './timers.ts';
import { WatchHub } from './watch-hub.ts';
import { handleWrite } from './write-api.ts';

export interface SimServerOptions {
  cluster: Cluster;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (a free port, kept across stop/start). */
  port?: number;
  /** When set, requests must carry `Authorization: Bearer <token>`; otherwise any token is accepted. */
  token?: string;
  /** Default 60 000. */
  bookmarkIntervalMs?: number;
  /** Used when a watch has no timeoutSeconds. Default 1800. */
  defaultWatchTimeoutSeconds?: number;
  maxWatchBufferBytes?: number;
  timers?: Timers;
  logger?: Logger;
  /** The user HTTP writes are attributed to. Default kubernetes-admin (system:masters). */
  user?: AuditUser;
}

const ADMIN: AuditUser = { username: 'kubernetes-admin', groups: ['kubeadm:cluster-admins', 'system:authenticated'] };

type Route = { kind: 'doc'; body: unknown } | { kind: 'resource'; target: ApiTarget } | undefined;

/** Maps a path to a discovery document or a resource target. */
export function route(reg: ResourceRegistry, pathname: string, serverAddress: string): Route {
  const p = pathname.split('/').filter(Boolean);
  if (p.length === 1 && p[0] === 'version') return { kind: 'doc', body: versionInfo() };
  if (p.length === 1 && p[0] === 'api') return { kind: 'doc', body: apiVersions(serverAddress) };
  if (p.length === 1 && p[0] === 'apis') return { kind: 'doc', body: apiGroupList(reg) };
  if (p.length === 2 && p[0] === 'apis') return doc(apiGroup(reg, p[1]!));
  let group: string;
  let version: string;
  let rest: string[];
  if (p[0] === 'api' && p.length >= 2) [group, version, rest] = ['', p[1]!, p.slice(2)];
  else if (p[0] === 'apis' && p.length >= 3) [group, version, rest] = [p[1]!, p[2]!, p.slice(3)];
  else return undefined;
  if (rest.length === 0) return doc(apiResourceList(reg, group, version));
  let ns: string | undefined;
  let segs = rest;
  if (rest[0] === 'namespaces' && rest.length >= 3 && reg.byPathSegments(group, version, rest[2]!)) {
    ns = rest[1];
    segs = rest.slice(2);
  }
  if (segs.length > 3) return undefined;
  const [resource, name, subresource] = segs as [string, string?, string?];
  const type = reg.byPathSegments(group, version, resource);
  if (!type || (ns !== undefined && !type.namespaced) || (subresource && !type.subresources[subresource])) return undefined;
  return { kind: 'resource', target: { type, namespace: ns, name, subresource } };
}

function doc(body: unknown): Route {
  return body === undefined ? undefined : { kind: 'doc', body };
}

export class SimServer implements FaultTarget {
  readonly cluster: Cluster;
  readonly hub: WatchHub;
  readonly faults: Faults;
  private readonly opts: SimServerOptions;
  private readonly readDeps: ReadDeps;
  private server: Server | undefined;
  private port: number;
  private readonly host: string;

  constructor(opts: SimServerOptions) {
    this.opts = opts;
    this.cluster = opts.cluster;
    this.host = opts.host ?? '127.0.0.1';
    this.port = opts.port ?? 0;
    this.hub = new WatchHub(opts.cluster, {
      bookmarkIntervalMs: opts.bookmarkIntervalMs,
      maxBufferBytes: opts.maxWatchBufferBytes,
      timers: opts.timers,
      logger: opts.logger,
    });
    this.faults = new Faults(this);
    this.readDeps = { cluster: this.cluster, hub: this.hub, faults: this.faults, defaultWatchTimeoutSeconds: opts.defaultWatchTimeoutSeconds ?? 1800 };
  }

  /** `http://127.0.0.1:<port>` (valid once started). */
  get url(): string {
    return `http://${this.host}:${this.port}`;
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  /** Listens (on the same port as before after a stop). Resolves with the URL. */
  async start(): Promise<string> {
    if (this.server) return this.url;
    const server = createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    this.opts.logger?.info({ url: this.url }, 'simulated API server listening');
    return this.url;
  }

  /** Stops listening and cuts every connection (watches included). The port is kept. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.hub.dropAll();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  /** Stops for good (timers included). */
  async close(): Promise<void> {
    await this.stop();
    this.hub.close();
  }

  private authorized(req: IncomingMessage): boolean {
    if (!this.opts.token) return true;
    return req.headers.authorization === `Bearer ${this.opts.token}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (!this.authorized(req)) return sendStatus(res, failureStatus('Unauthorized', 'Unauthorized'));
      const url = new URL(req.url ?? '/', 'http://simulator');
      if (['/healthz', '/livez', '/readyz'].includes(url.pathname)) {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        return void res.end('ok');
      }
      const r = route(this.cluster.registry, url.pathname, `${this.host}:${this.port}`);
      if (!r) return sendStatus(res, notFoundPath());
      const method = req.method ?? 'GET';
      if (r.kind === 'doc') {
        if (method !== 'GET') return sendStatus(res, failureStatus('MethodNotAllowed', 'the server does not allow this method on the requested resource'));
        return sendJson(res, 200, r.body);
      }
      const accept = req.headers.accept;
      if (method === 'GET' && r.target.name) return handleGet(this.readDeps, r.target, res, accept);
      if (method === 'GET') return await handleCollection(this.readDeps, r.target, res, url.searchParams, accept);
      await handleWrite({ cluster: this.cluster, user: this.opts.user ?? ADMIN }, r.target, req, res, url.searchParams);
    } catch (e) {
      const status = statusFromError(e);
      if (status.code >= 500) this.opts.logger?.warn({ err: e, url: req.url }, 'simulated API request failed');
      sendStatus(res, status);
    }
  }
}
