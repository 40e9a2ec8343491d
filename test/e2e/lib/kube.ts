/**
 * The real control plane from test/infra/kube.sh, as the fidelity tests use it: a raw HTTPS
 * client for kube-apiserver that times each request (send and full-response instants), and the
 * operations on the control plane itself (point the audit webhook somewhere, restart the
 * apiserver, compact etcd).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { Pool } from 'undici';
import { nowHigh, nowLow, type Micros } from './clock.ts';

const exec = promisify(execFile);

/** What `kube.sh env` exports. */
export interface KubeEnv {
  KUBECONFIG: string;
  KUBETIME_KUBE_AUDIT_LOG: string;
  KUBETIME_ETCD_ENDPOINT: string;
  KUBETIME_ETCDCTL: string;
  KUBETIME_KUBECTL: string;
  KUBETIME_KUBE_CA_FILE: string;
  KUBETIME_AUDIT_SINK_CERT_FILE: string;
  KUBETIME_AUDIT_SINK_KEY_FILE: string;
}

const ENV_KEYS: (keyof KubeEnv)[] = [
  'KUBECONFIG', 'KUBETIME_KUBE_AUDIT_LOG', 'KUBETIME_ETCD_ENDPOINT', 'KUBETIME_ETCDCTL',
  'KUBETIME_KUBECTL', 'KUBETIME_KUBE_CA_FILE', 'KUBETIME_AUDIT_SINK_CERT_FILE', 'KUBETIME_AUDIT_SINK_KEY_FILE',
];

/** The service's variables (from the global setup), completed from `kube.sh env` when some are missing. */
export async function kubeEnv(provided: Record<string, string>): Promise<KubeEnv> {
  const out: Record<string, string> = { ...provided };
  if (ENV_KEYS.some((k) => !out[k])) {
    const { stdout } = await exec('bash', ['test/infra/kube.sh', 'env']);
    for (const line of stdout.split('\n')) {
      const m = /^export ([A-Z_0-9]+)=(.*)$/.exec(line.trim());
      if (m && !out[m[1]!]) out[m[1]!] = m[2]!.replace(/^['"]|['"]$/g, '');
    }
  }
  const missing = ENV_KEYS.filter((k) => !out[k]);
  if (missing.length) throw new Error(`kube.sh env did not give ${missing.join(', ')}`);
  return out as unknown as KubeEnv;
}

export interface TimedResponse<T = unknown> {
  status: number;
  body: T;
  /** Just before the request was sent, µs. */
  t0: Micros;
  /** Once the whole response had arrived, µs. */
  t1: Micros;
}

/**
 * kube-apiserver over HTTPS with the admin kubeconfig's client certificate. One connection pool,
 * so requests are not slowed (or re-timed) by TLS handshakes.
 */
export class KubeClient {
  readonly server: string;
  readonly #pool: Pool;

  constructor(kubeconfigPath: string, connections = 4) {
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath);
    const cluster = kc.getCurrentCluster()!;
    const user = kc.getCurrentUser()!;
    const b64 = (s: string | undefined) => (s ? Buffer.from(s, 'base64') : undefined);
    this.server = cluster.server;
    this.#pool = new Pool(cluster.server, {
      connections,
      connect: { ca: b64(cluster.caData), cert: b64(user.certData), key: b64(user.keyData) },
    });
  }

  async request<T = any>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<TimedResponse<T>> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const t0 = nowLow();
    const res = await this.#pool.request({
      method: method as 'GET',
      path,
      headers: { accept: 'application/json', ...(payload ? { 'content-type': contentType } : {}) },
      ...(payload ? { body: payload } : {}),
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
    });
    const text = await res.body.text();
    const t1 = nowHigh();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: kept as text
    }
    return { status: res.statusCode, body: parsed as T, t0, t1 };
  }

  /** Like request(), but any status outside 2xx throws with the apiserver's message. */
  async ok<T = any>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
    const r = await this.request<T>(method, path, body, contentType);
    if (r.status < 200 || r.status > 299) {
      throw Object.assign(new Error(`${method} ${path}: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`), { status: r.status });
    }
    return r.body;
  }

  close(): Promise<void> {
    return this.#pool.close();
  }
}

/** The kube.sh state folder ($CACHE/kube), next to the admin kubeconfig. */
function kubeDir(env: KubeEnv): string {
  return dirname(env.KUBECONFIG);
}

/** The running apiserver's pid (its pid file), or undefined. */
export function apiserverPid(env: KubeEnv): string | undefined {
  try {
    return readFileSync(join(kubeDir(env), 'run', 'pids', 'kube-apiserver.pid'), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Notices apiserver restarts this test did not cause (another test run's `kube.sh start` puts the
 * default configuration back, and with it the audit webhook stops pointing at our kubetime): a
 * run with such a restart proves nothing, so it must fail as such, not as a kubetime bug.
 */
export class ApiserverGuard {
  readonly #env: KubeEnv;
  readonly foreign: string[] = [];
  #expected: string | undefined;
  #own = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(env: KubeEnv) {
    this.#env = env;
  }

  /** Runs `fn` (which restarts the apiserver), then expects the new pid. */
  async own<T>(fn: () => Promise<T>): Promise<T> {
    this.#own = true;
    try {
      return await fn();
    } finally {
      this.#expected = apiserverPid(this.#env);
      this.#own = false;
    }
  }

  start(): void {
    this.#expected ??= apiserverPid(this.#env);
    this.#timer = setInterval(() => {
      if (this.#own) return;
      const pid = apiserverPid(this.#env);
      if (pid && pid !== this.#expected) {
        this.foreign.push(`${new Date().toISOString()}: kube-apiserver pid ${this.#expected} -> ${pid}`);
        this.#expected = pid;
      }
    }, 500);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Throws when someone else restarted the apiserver. */
  check(): void {
    if (this.foreign.length) {
      throw new Error(`kube-apiserver was restarted by something other than this test (another test run's kube.sh start?): ${this.foreign.join('; ')}. Its audit webhook no longer pointed at this kubetime, so the run says nothing; run it again alone.`);
    }
  }
}

export interface ApiserverSetup {
  /** The audit webhook URL; undefined = kube.sh's default. */
  webhookUrl?: string;
  token?: string;
  /** KUBETIME_KUBE_APISERVER_ARGS, e.g. `--watch-cache=false`. */
  extraArgs?: string;
}

function setupEnv(s: ApiserverSetup): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.KUBETIME_AUDIT_WEBHOOK_URL;
  delete env.KUBETIME_AUDIT_TOKEN;
  delete env.KUBETIME_KUBE_APISERVER_ARGS;
  if (s.webhookUrl) env.KUBETIME_AUDIT_WEBHOOK_URL = s.webhookUrl;
  if (s.token) env.KUBETIME_AUDIT_TOKEN = s.token;
  if (s.extraArgs) env.KUBETIME_KUBE_APISERVER_ARGS = s.extraArgs;
  return env;
}

async function kubeSh(command: string, s: ApiserverSetup): Promise<void> {
  try {
    await exec('bash', ['test/infra/kube.sh', command], { env: setupEnv(s), timeout: 240_000, maxBuffer: 16 << 20 });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`kube.sh ${command} failed: ${err.message}\n${(err.stderr ?? '').slice(-3000)}`);
  }
}

/** `kube.sh start` with this apiserver configuration: restarts only the apiserver when it differs. */
export function configureApiserver(s: ApiserverSetup): Promise<void> {
  return kubeSh('start', s);
}

/** Restarts the apiserver (same configuration): every watch on it breaks and must reconnect. */
export function restartApiserver(s: ApiserverSetup): Promise<void> {
  return kubeSh('restart-apiserver', s);
}

/** Restarts kube-controller-manager and kube-scheduler: fresh informers, whatever the earlier runs did to theirs. */
export function restartControllers(s: ApiserverSetup): Promise<void> {
  return kubeSh('restart-controllers', s);
}

/** etcd's current revision. */
export async function etcdRevision(env: KubeEnv): Promise<number> {
  const { stdout } = await exec(env.KUBETIME_ETCDCTL, ['--endpoints', env.KUBETIME_ETCD_ENDPOINT, 'endpoint', 'status', '-w', 'json']);
  const status = JSON.parse(stdout) as { Status: { header: { revision: number } } }[];
  return status[0]!.Status.header.revision;
}

/** Compacts etcd's history up to `revision`: older revisions are gone, watches from them get 410. */
export async function compactEtcd(env: KubeEnv, revision: number): Promise<void> {
  await exec(env.KUBETIME_ETCDCTL, ['--endpoints', env.KUBETIME_ETCD_ENDPOINT, 'compaction', String(revision)]);
}
