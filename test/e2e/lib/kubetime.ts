/**
 * `kubetime serve` as a separate process (node bin/kubetime.js serve …), served over HTTPS on a
 * fixed port so it can be killed and restarted on the same data dir with the same audit webhook
 * URL, and a small client for its HTTP API.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { Pool } from 'undici';
import { sleep } from './clock.ts';

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface KubetimeOptions {
  port: number;
  dataDir: string;
  kubeconfig: string;
  cluster: string;
  auditToken: string;
  tlsCertFile: string;
  tlsKeyFile: string;
  caFile: string;
  /** Where stdout and stderr go (appended across restarts). */
  logFile: string;
}

export class KubetimeProcess {
  readonly opts: KubetimeOptions;
  readonly api: KubetimeApi;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  starts = 0;

  constructor(opts: KubetimeOptions) {
    this.opts = opts;
    this.api = new KubetimeApi(`https://127.0.0.1:${opts.port}`, readFileSync(opts.caFile));
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Spawns `kubetime serve` and waits until /readyz answers. */
  async start(): Promise<void> {
    const o = this.opts;
    const log = openSync(o.logFile, 'a');
    const args = [
      'bin/kubetime.js', 'serve', '--port', String(o.port), '--data-dir', o.dataDir, '--cluster', o.cluster,
      '--kubeconfig', o.kubeconfig, '--tls-cert-file', o.tlsCertFile, '--tls-key-file', o.tlsKeyFile,
    ];
    const child = spawn(process.execPath, args, {
      env: { ...process.env, KUBETIME_AUDIT_TOKEN: o.auditToken, KUBETIME_LOG_LEVEL: 'info' },
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    this.#child = child;
    this.starts++;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`kubetime serve exited with ${child.exitCode}; log: ${o.logFile}\n${this.logTail()}`);
      try {
        if ((await this.api.get('/readyz')).status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`kubetime serve not ready within 30 s; log: ${o.logFile}\n${this.logTail()}`);
      await sleep(100);
    }
  }

  /** SIGKILL: a crash, nothing flushed, nothing closed. */
  async kill(): Promise<void> {
    this.#child?.kill('SIGKILL');
    await this.#exited;
  }

  /** SIGTERM, then SIGKILL after 15 s. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await this.#exited;
    clearTimeout(timer);
  }

  logTail(lines = 30): string {
    try {
      return readFileSync(this.opts.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }
}

export interface ApiAnswer<T = any> {
  status: number;
  body: T;
}

/** kubetime's history API over HTTPS (the test CA signed its serving certificate). */
export class KubetimeApi {
  readonly #pool: Pool;

  constructor(base: string, ca: Buffer) {
    this.#pool = new Pool(base, { connections: 4, connect: { ca } });
  }

  async get<T = any>(path: string, query: Record<string, string | number | undefined> = {}): Promise<ApiAnswer<T>> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    const qs = params.toString();
    const res = await this.#pool.request({ method: 'GET', path: qs ? `${path}?${qs}` : path, headersTimeout: 60_000, bodyTimeout: 60_000 });
    const text = await res.body.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // metrics and other text answers
    }
    return { status: res.statusCode, body: body as T };
  }

  /** GET that must answer 200. */
  async ok<T = any>(path: string, query: Record<string, string | number | undefined> = {}): Promise<T> {
    const r = await this.get<T>(path, query);
    if (r.status !== 200) throw new Error(`kubetime GET ${path} ${JSON.stringify(query)}: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 500)}`);
    return r.body;
  }

  /** The value of one Prometheus sample (summed over series whose labels include `labels`). */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    const text = (await this.get<string>('/metrics')).body;
    let sum = 0;
    for (const line of String(text).split('\n')) {
      const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)$/.exec(line);
      if (!m || m[1] !== name) continue;
      const l = m[2] ?? '';
      if (Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`))) sum += Number(m[3]);
    }
    return sum;
  }

  close(): Promise<void> {
    return this.#pool.close();
  }
}
