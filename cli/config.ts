/**
 * The one configuration schema (STYLE.md): parsed once at start from flags and KUBETIME_*
 * variables (flags win), frozen, then sliced per component. Nothing else reads process.env.
 * A bad value stops the process with every problem listed.
 */
import { resolve } from 'node:path';
import { z } from 'zod';
import { KubetimeError } from '../core/errors.ts';

const duration = z.string().regex(/^\d+(ms|s|m|h|d)$/, 'a duration like 30s, 15m, 2h or 1d').transform(toMillis);

export function toBytes(text: string): number {
  const m = /^(\d+)(Ki|Mi|Gi|Ti)?$/.exec(text)!;
  return Number(m[1]) * 1024 ** (m[2] ? ['Ki', 'Mi', 'Gi', 'Ti'].indexOf(m[2]) + 1 : 0);
}

export function toMillis(text: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(text)!;
  const unit = { ms: 1, s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

const list = z.string().optional().transform((s) => (s ? s.split(',').map((x) => x.trim()).filter(Boolean) : undefined));

const bool = z.union([z.boolean(), z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1')]);

export const configSchema = z.object({
  port: z.coerce.number().int().min(0).max(65535).default(8080),
  host: z.string().min(1).default('127.0.0.1'),
  dataDir: z.string().min(1).default('./data'),
  cluster: z.string().regex(/^[a-z0-9]([-a-z0-9._]*[a-z0-9])?$/, 'a DNS-style name (lowercase letters, digits, - . _)').optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  store: z.enum(['embedded', 'lmdb', 'cassandra']).default('embedded'),
  cassandra: z.object({
    contactPoints: z.string().prefault('127.0.0.1:9042').transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean)),
    localDataCenter: z.string().default('datacenter1'),
    keyspace: z.string().regex(/^[a-z][a-z0-9_]{0,47}$/, 'a CQL keyspace name').default('kubetime'),
    /** `SimpleStrategy:<rf>` or `NetworkTopologyStrategy:<dc>=<rf>[,<dc>=<rf>…]`. */
    replication: z.string().default('SimpleStrategy:1'),
    migrateOnStart: bool.prefault(true),
  }),
  snapshots: z.string().optional(),
  s3Endpoint: z.string().url().optional(),
  s3Region: z.string().min(1).prefault('us-east-1'),
  snapshotInterval: duration.prefault('15m'),
  /** Retention rules, first match wins: `events=1d,*\/kube-system=7d,*=30d` (compactor/retention.ts). */
  retention: z.string().min(1).optional(),
  /** Disk budget of the data dir, e.g. `50Gi`: a warning from 80%, an error past it. */
  diskBudget: z.string().regex(/^\d+(Ki|Mi|Gi|Ti)?$/, 'bytes, optionally with Ki, Mi, Gi or Ti').transform(toBytes).optional(),
  auditToken: z.string().min(1).optional(),
  /** Key of Secret digests (HMAC); default: `<data-dir>/secret-digest.key`, created on first start. */
  secretDigestKey: z.string().min(32, 'at least 32 characters').optional(),
  /** An audit time further than this from the batch's receipt is refused (ingester/audit/plausibility.ts). */
  auditMaxSkew: duration.prefault('10m'),
  /** Serve POST /v1/audit (false: a read-only API). Beyond loopback it needs a token or client certificates. */
  auditSink: bool.prefault(true),
  /** PEM CA bundle: POST /v1/audit accepts clients presenting a certificate it signed (needs TLS). */
  auditClientCaFile: z.string().min(1).optional(),
  /** Bytes of audit bodies in flight at once; past it the sink answers 429 with Retry-After. */
  auditMaxInflight: z.string().regex(/^\d+(Ki|Mi|Gi|Ti)?$/, 'bytes, optionally with Ki, Mi, Gi or Ti').prefault('256Mi').transform(toBytes),
  /** Bytes of objects' JSON text the embedded store keeps for lists as of T asked again (store/lmdb/text-cache.ts); 0: none. */
  textCache: z.string().regex(/^\d+(Ki|Mi|Gi|Ti)?$/, 'bytes, optionally with Ki, Mi, Gi or Ti').prefault('64Mi').transform(toBytes),
  /** A request's headers and body must arrive within this (a body sent slowly is cut). */
  requestTimeout: duration.prefault('30s'),
  /** PEM files: serve https (kube-apiserver sends the audit token only over https). */
  tlsCertFile: z.string().min(1).optional(),
  tlsKeyFile: z.string().min(1).optional(),
  watch: bool.prefault(true),
  /** What the watch records (comma-separated lists; kinds as kubectl names them). */
  filters: z.object({
    includeKinds: list,
    excludeKinds: list,
    includeNamespaces: list,
    excludeNamespaces: list,
    labelSelector: z.string().min(1).optional(),
    events: bool.prefault(true),
  }),
  context: z.string().optional(),
  kubeconfig: z.string().optional(),
  server: z.string().url().default('http://127.0.0.1:8080'),
  /** Who reads (docs/access.md): how bearer tokens are checked, and who may read what. */
  authn: z.enum(['none', 'tokenreview', 'token-file']).default('none'),
  tokenFile: z.string().min(1).optional(),
  /** Default: rbac with tokenreview, allow-all otherwise (cli/read-access.ts). */
  authz: z.enum(['allow-all', 'rbac', 'policy']).optional(),
  policyFile: z.string().min(1).optional(),
  /** /healthz, /readyz and /metrics without authentication. */
  opsOpen: bool.prefault(true),
  /** The bearer token the query commands send (e.g. `kubectl create token …`). */
  token: z.string().min(1).optional(),
  /** Largest MCP tool answer, in tokens (bytes / 4): past it a tool answers a smaller page. */
  mcpBudget: z.coerce.number().int().min(500).max(1_000_000).default(16_000),
});

/** The parsed configuration; `snapshots` always has its default by then. */
export type Config = Readonly<z.infer<typeof configSchema> & { snapshots: string }>;

/** Flags a command accepted (already parsed by node:util parseArgs), by config key. */
export type Flags = Partial<Record<string, string | boolean | undefined>>;

function envInput(env: NodeJS.ProcessEnv): Record<string, unknown> {
  return {
    port: env.KUBETIME_PORT,
    host: env.KUBETIME_HOST,
    dataDir: env.KUBETIME_DATA_DIR,
    cluster: env.KUBETIME_CLUSTER,
    logLevel: env.KUBETIME_LOG_LEVEL,
    store: env.KUBETIME_STORE,
    cassandra: {
      contactPoints: env.KUBETIME_CASSANDRA_CONTACT_POINTS,
      localDataCenter: env.KUBETIME_CASSANDRA_LOCAL_DC,
      keyspace: env.KUBETIME_CASSANDRA_KEYSPACE,
      replication: env.KUBETIME_CASSANDRA_REPLICATION,
      migrateOnStart: env.KUBETIME_CASSANDRA_MIGRATE,
    },
    snapshots: env.KUBETIME_SNAPSHOTS,
    s3Endpoint: env.KUBETIME_S3_ENDPOINT,
    snapshotInterval: env.KUBETIME_SNAPSHOT_INTERVAL,
    retention: env.KUBETIME_RETENTION,
    diskBudget: env.KUBETIME_DISK_BUDGET,
    s3Region: env.AWS_REGION,
    auditToken: env.KUBETIME_AUDIT_TOKEN,
    secretDigestKey: env.KUBETIME_SECRET_DIGEST_KEY,
    auditMaxSkew: env.KUBETIME_AUDIT_MAX_SKEW,
    auditSink: env.KUBETIME_AUDIT_SINK,
    auditClientCaFile: env.KUBETIME_AUDIT_CLIENT_CA_FILE,
    auditMaxInflight: env.KUBETIME_AUDIT_MAX_INFLIGHT,
    textCache: env.KUBETIME_TEXT_CACHE,
    requestTimeout: env.KUBETIME_REQUEST_TIMEOUT,
    tlsCertFile: env.KUBETIME_TLS_CERT_FILE,
    tlsKeyFile: env.KUBETIME_TLS_KEY_FILE,
    watch: env.KUBETIME_WATCH,
    filters: {
      includeKinds: env.KUBETIME_INCLUDE_KINDS,
      excludeKinds: env.KUBETIME_EXCLUDE_KINDS,
      includeNamespaces: env.KUBETIME_INCLUDE_NAMESPACES,
      excludeNamespaces: env.KUBETIME_EXCLUDE_NAMESPACES,
      labelSelector: env.KUBETIME_LABEL_SELECTOR,
      events: env.KUBETIME_RECORD_EVENTS,
    },
    context: env.KUBETIME_CONTEXT,
    kubeconfig: env.KUBECONFIG,
    server: env.KUBETIME_SERVER,
    authn: env.KUBETIME_AUTHN,
    tokenFile: env.KUBETIME_TOKEN_FILE,
    authz: env.KUBETIME_AUTHZ,
    policyFile: env.KUBETIME_POLICY_FILE,
    opsOpen: env.KUBETIME_OPS_OPEN,
    token: env.KUBETIME_TOKEN,
    mcpBudget: env.KUBETIME_MCP_BUDGET,
  };
}

const FLAG_KEYS: Record<string, string> = {
  port: 'port', host: 'host', 'data-dir': 'dataDir', cluster: 'cluster', 'log-level': 'logLevel',
  store: 'store', snapshots: 'snapshots', 'audit-token': 'auditToken', context: 'context',
  kubeconfig: 'kubeconfig', server: 'server', 'snapshot-interval': 'snapshotInterval',
  'tls-cert-file': 'tlsCertFile', 'tls-key-file': 'tlsKeyFile', retention: 'retention', 'disk-budget': 'diskBudget',
  authn: 'authn', 'token-file': 'tokenFile', authz: 'authz', 'policy-file': 'policyFile', 'ops-open': 'opsOpen',
  'mcp-budget': 'mcpBudget',
  'audit-max-skew': 'auditMaxSkew', 'audit-client-ca-file': 'auditClientCaFile', 'audit-max-inflight': 'auditMaxInflight', 'request-timeout': 'requestTimeout',
  'text-cache': 'textCache',
};

const FILTER_FLAGS: Record<string, string> = {
  'include-kinds': 'includeKinds', 'exclude-kinds': 'excludeKinds', 'include-namespaces': 'includeNamespaces',
  'exclude-namespaces': 'excludeNamespaces', 'label-selector': 'labelSelector',
};

function dropUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== ''));
}

/**
 * Builds the configuration from the environment and a command's flags.
 * @throws KubetimeError INVALID_ARGUMENT listing every problem.
 */
export function loadConfig(env: NodeJS.ProcessEnv, flags: Flags = {}): Config {
  const input = envInput(env);
  const cass = dropUndefined(input.cassandra as Record<string, unknown>);
  const filters = dropUndefined(input.filters as Record<string, unknown>);
  for (const [flag, key] of Object.entries(FILTER_FLAGS)) if (flags[flag] !== undefined) filters[key] = flags[flag];
  const merged: Record<string, unknown> = { ...dropUndefined(input), cassandra: cass, filters };
  for (const [flag, key] of Object.entries(FLAG_KEYS)) {
    if (flags[flag] !== undefined) merged[key] = flags[flag];
  }
  if (flags['no-watch'] === true) merged.watch = false;
  if (flags['no-audit-sink'] === true) merged.auditSink = false;
  const parsed = configSchema
    .refine((c) => !c.tlsCertFile === !c.tlsKeyFile, { message: 'set both or neither of the TLS certificate and key files', path: ['tlsCertFile'] })
    .refine((c) => c.authn !== 'token-file' || c.tokenFile, { message: 'required with --authn=token-file', path: ['tokenFile'] })
    .refine((c) => c.authz !== 'policy' || c.policyFile, { message: 'required with --authz=policy', path: ['policyFile'] })
    .refine((c) => !c.auditClientCaFile || c.tlsCertFile, { message: 'client certificates need TLS: set the TLS certificate and key files too', path: ['auditClientCaFile'] })
    .safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'config'}: ${i.message}`);
    throw new KubetimeError('INVALID_ARGUMENT', `invalid configuration:\n  ${problems.join('\n  ')}`, { problems });
  }
  const c = parsed.data;
  const dataDir = resolve(c.dataDir);
  return Object.freeze({ ...c, dataDir, snapshots: c.snapshots ?? `file://${resolve(dataDir, 'snapshots')}`, cassandra: Object.freeze(c.cassandra) });
}
