/**
 * ClientNodeKubeApi: the KubeApi port over @kubernetes/client-node's KubeConfig (which knows the
 * server, TLS material, tokens and exec plugins) and undici's fetch (which client-node itself
 * uses). Watches are read by pulling from the response body, so a slow consumer pauses the
 * socket instead of buffering the stream in memory.
 */
import { HttpMethod, RequestContext, type KubeConfig } from '@kubernetes/client-node';
import { fetch, type Dispatcher } from 'undici';
import { KubeApiError, LineSplitter, parseWatchLine, type KubeApi, type Query, type WatchEvent } from './kube-api.ts';

/** Options of ClientNodeKubeApi. */
export interface ClientNodeKubeApiOptions {
  kubeConfig: KubeConfig;
  /** Timeout of a plain GET (discovery, one list page), ms. Default 60 s. */
  requestTimeoutMs?: number;
  /** How long resolved credentials and the connection pool are reused, ms. Default 60 s. */
  authTtlMs?: number;
}

interface Auth {
  headers: Record<string, string>;
  dispatcher: Dispatcher | undefined;
}

function buildUrl(server: string, path: string, query: Query): string {
  const url = new URL(server.replace(/\/+$/, '') + path);
  for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
  return url.toString();
}

async function statusError(res: { status: number; statusText: string; text(): Promise<string> }, what: string): Promise<KubeApiError> {
  let reason: string | undefined;
  let message = res.statusText;
  try {
    const body = JSON.parse(await res.text()) as { reason?: unknown; message?: unknown };
    if (typeof body.reason === 'string') reason = body.reason;
    if (typeof body.message === 'string') message = body.message;
  } catch {
    // not a Status body
  }
  return new KubeApiError(`${what}: HTTP ${res.status} ${message}`, { status: res.status, ...(reason ? { reason } : {}) });
}

/** The KubeApi port over a client-node KubeConfig (module comment). */
export class ClientNodeKubeApi implements KubeApi {
  readonly #kc: KubeConfig;
  readonly #timeoutMs: number;
  readonly #authTtlMs: number;
  #auth: Promise<Auth> | undefined;
  #authUntil = 0;

  constructor(opts: ClientNodeKubeApiOptions) {
    this.#kc = opts.kubeConfig;
    this.#timeoutMs = opts.requestTimeoutMs ?? 60_000;
    this.#authTtlMs = opts.authTtlMs ?? 60_000;
  }

  #server(): string {
    const cluster = this.#kc.getCurrentCluster();
    if (!cluster) throw new KubeApiError('kubeconfig has no current cluster', { status: 0 });
    return cluster.server;
  }

  // client-node builds a new connection pool per call; reusing it for a while keeps list pages
  // and reconnects on warm connections. Exec-plugin tokens are re-resolved when the TTL ends.
  #resolveAuth(): Promise<Auth> {
    if (this.#auth && this.#authUntil > Date.now()) return this.#auth;
    const previous = this.#auth;
    this.#authUntil = Date.now() + this.#authTtlMs;
    const next = (async (): Promise<Auth> => {
      const ctx = new RequestContext(this.#server(), HttpMethod.GET);
      await this.#kc.applySecurityAuthentication(ctx);
      return { headers: ctx.getHeaders(), dispatcher: ctx.getDispatcher() as Dispatcher | undefined };
    })();
    this.#auth = next;
    next.then(
      // close() lets requests already running (long watches) finish; new ones use `next`.
      () => previous?.then((a) => a.dispatcher?.close()).catch(() => {}),
      () => {
        if (this.#auth === next) this.#auth = undefined;
      },
    );
    return next;
  }

  /** Closes pooled connections (after stop). */
  async close(): Promise<void> {
    const a = await this.#auth?.catch(() => undefined);
    this.#auth = undefined;
    await a?.dispatcher?.close().catch(() => {});
  }

  async #fetch(path: string, query: Query, signal: AbortSignal, accept: string) {
    const auth = await this.#resolveAuth();
    const url = buildUrl(this.#server(), path, query);
    try {
      return await fetch(url, {
        method: 'GET',
        headers: { ...auth.headers, accept },
        signal,
        ...(auth.dispatcher ? { dispatcher: auth.dispatcher } : {}),
      });
    } catch (e) {
      if (signal.aborted) throw e;
      throw new KubeApiError(`GET ${path}: ${(e as Error).message}`, { status: 0, cause: e });
    }
  }

  async get(path: string, query: Query, signal?: AbortSignal): Promise<unknown> {
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      const res = await this.#fetch(path, query, combined, 'application/json');
      if (res.status < 200 || res.status > 299) throw await statusError(res, `GET ${path}`);
      return (await res.json()) as unknown;
    } catch (e) {
      if (e instanceof KubeApiError) throw e;
      throw new KubeApiError(`GET ${path}: ${(e as Error).message}`, { status: 0, cause: e });
    }
  }

  async *watch(path: string, query: Query, signal: AbortSignal): AsyncIterable<WatchEvent[]> {
    const res = await this.#fetch(path, { ...query, watch: true }, signal, 'application/json');
    if (res.status !== 200) throw await statusError(res, `WATCH ${path}`);
    if (!res.body) return;
    const splitter = new LineSplitter();
    let batch: WatchEvent[] = [];
    const onLine = (line: string) => {
      batch.push(parseWatchLine(line));
    };
    try {
      for await (const chunk of res.body) {
        splitter.push(chunk as Uint8Array, onLine);
        const out = batch;
        batch = [];
        yield out;
      }
    } catch (e) {
      if (e instanceof KubeApiError || signal.aborted) throw e;
      throw new KubeApiError(`WATCH ${path}: ${(e as Error).message}`, { status: 0, cause: e });
    }
    splitter.flush(onLine);
    if (batch.length) yield batch;
  }
}
