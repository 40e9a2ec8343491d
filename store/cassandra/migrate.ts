/**
 * Schema migrations for the Cassandra store (`kubetime migrate`, and at start when configured).
 *
 * - Migrations are the files `schema/NNN_name.cql`, applied in version order, each at most once;
 *   `schema_version` records version, name, checksum and time of every applied file.
 * - Every statement is idempotent (IF NOT EXISTS), so a migration interrupted half way is simply
 *   run again, and two processes migrating at once are serialised by an LWT lease
 *   (`schema_lock`, expiring by TTL if its holder dies).
 * - The keyspace is created with the configured replication; an existing keyspace is never
 *   altered (changing replication needs ALTER KEYSPACE and a repair, by an operator).
 */
import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { KubetimeError, invalidArgument } from '../../core/errors.ts';
import { CassandraDb, createClient, storeError, type CassandraConnectionOptions } from './client.ts';

/** The repository's schema/ folder. */
export const SCHEMA_DIR = fileURLToPath(new URL('../../schema/', import.meta.url));

/** Replication of the keyspace: SimpleStrategy for development, NetworkTopologyStrategy in production. */
export type Replication =
  | { class: 'SimpleStrategy'; replicationFactor: number }
  | { class: 'NetworkTopologyStrategy'; dataCenters: Record<string, number> };

export interface MigrateOptions extends CassandraConnectionOptions {
  keyspace: string;
  /**
   * Default: SimpleStrategy with replication factor 1 (a single development node). Also accepted
   * as text (configuration): `SimpleStrategy:<rf>` or `NetworkTopologyStrategy:<dc>=<rf>[,<dc>=<rf>…]`.
   */
  replication?: Replication | string;
  /** Folder of the NNN_name.cql files (default: the repository's schema/). */
  schemaDir?: string;
  /** How long to wait for another process's migration lease (default 120 s). */
  lockTimeoutMs?: number;
  /** Injected for tests; default real timers. */
  sleep?: (ms: number) => Promise<void>;
}

export interface Migration {
  version: number;
  name: string;
  statements: string[];
  checksum: string;
}

const FILE = /^(\d{3})_([a-z0-9_]+)\.cql$/;
const KEYSPACE = /^[a-z][a-z0-9_]{0,47}$/;
const LOCK_TTL_S = 300;

export function validateKeyspace(name: string): string {
  if (!KEYSPACE.test(name)) {
    throw invalidArgument('keyspace', `"${name}" is not a valid keyspace name (lower-case letters, digits and _, starting with a letter, at most 48)`);
  }
  return name;
}

/** Splits a .cql file into statements: full-line `--` comments dropped, `;` ends a statement at the end of a line. */
export function splitStatements(text: string): string[] {
  const lines = text.split('\n').filter((l) => !l.trim().startsWith('--'));
  return lines
    .join('\n')
    .split(/;[ \t]*(?:\n|$)/)
    .map((s) => s.replace(/\s+/g, ' ').trim())
    .filter(Boolean);
}

export function parseMigration(fileName: string, text: string): Migration {
  const m = FILE.exec(fileName);
  if (!m) throw new KubetimeError('INTERNAL', `schema file ${fileName} is not named NNN_name.cql`);
  const statements = splitStatements(text);
  if (statements.length === 0) throw new KubetimeError('INTERNAL', `schema file ${fileName} holds no statement`);
  const checksum = createHash('sha256').update(statements.join(';\n')).digest('hex');
  return { version: Number(m[1]), name: m[2]!, statements, checksum };
}

/** The migrations of a schema folder, in version order. */
export function loadMigrations(dir: string = SCHEMA_DIR): Migration[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.cql')).sort();
  } catch (e) {
    throw new KubetimeError('INTERNAL', `cannot read the schema folder ${dir}`, { dir }, { cause: e });
  }
  const migrations = files.map((f) => parseMigration(f, readFileSync(join(dir, f), 'utf8')));
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]!.version === migrations[i - 1]!.version) {
      throw new KubetimeError('INTERNAL', `two schema files carry version ${migrations[i]!.version}`);
    }
  }
  return migrations;
}

/** Parses `SimpleStrategy:<rf>` or `NetworkTopologyStrategy:<dc>=<rf>[,<dc>=<rf>…]`. */
export function parseReplication(text: string): Replication {
  const [cls, rest = ''] = text.trim().split(/:(.*)/s, 2) as [string, string?];
  if (cls === 'SimpleStrategy' && /^\d+$/.test(rest.trim())) return { class: 'SimpleStrategy', replicationFactor: Number(rest) };
  if (cls === 'NetworkTopologyStrategy' && rest.trim()) {
    const dataCenters: Record<string, number> = {};
    for (const part of rest.split(',')) {
      const m = /^\s*([A-Za-z0-9_.-]+)\s*=\s*(\d+)\s*$/.exec(part);
      if (!m) throw invalidArgument('replication', `"${part.trim()}" is not <datacenter>=<factor>`);
      dataCenters[m[1]!] = Number(m[2]);
    }
    return { class: 'NetworkTopologyStrategy', dataCenters };
  }
  throw invalidArgument('replication', `"${text}" is not SimpleStrategy:<rf> or NetworkTopologyStrategy:<dc>=<rf>[,<dc>=<rf>…]`);
}

export function replicationCql(spec: Replication | string): string {
  const r = typeof spec === 'string' ? parseReplication(spec) : spec;
  if (r.class === 'SimpleStrategy') {
    if (!Number.isInteger(r.replicationFactor) || r.replicationFactor < 1) {
      throw invalidArgument('replication', 'replicationFactor must be a positive integer');
    }
    return `{'class': 'SimpleStrategy', 'replication_factor': ${r.replicationFactor}}`;
  }
  const dcs = Object.entries(r.dataCenters);
  if (dcs.length === 0) throw invalidArgument('replication', 'NetworkTopologyStrategy needs at least one data centre');
  for (const [dc, n] of dcs) {
    if (!/^[A-Za-z0-9_.-]+$/.test(dc) || !Number.isInteger(n) || n < 1) {
      throw invalidArgument('replication', `data centre "${dc}": name must be [A-Za-z0-9_.-] and its factor a positive integer`);
    }
  }
  return `{'class': 'NetworkTopologyStrategy', ${dcs.map(([dc, n]) => `'${dc}': ${n}`).join(', ')}}`;
}

const BOOTSTRAP = [
  `CREATE TABLE IF NOT EXISTS schema_version (version int PRIMARY KEY, name text, checksum text, applied_at timestamp)
   WITH comment = 'applied schema migrations (store/cassandra/migrate.ts)'`,
  `CREATE TABLE IF NOT EXISTS schema_lock (name text PRIMARY KEY, owner text)
   WITH comment = 'migration lease (LWT, expires by TTL)'`,
];

/** Versions recorded in schema_version, with their checksums. */
export async function appliedMigrations(db: CassandraDb): Promise<Map<number, string>> {
  const rs = await db.execute('SELECT version, checksum FROM schema_version', [], 'read schema_version');
  return new Map(rs.rows.map((r) => [r.get('version') as number, r.get('checksum') as string]));
}

/**
 * Creates the keyspace when missing and applies every migration not yet recorded.
 * @returns the versions applied by this call (empty when the schema was current).
 * @throws KubetimeError STORE_UNAVAILABLE when Cassandra is unreachable or the lease stays taken.
 */
export async function migrate(opts: MigrateOptions): Promise<number[]> {
  const keyspace = validateKeyspace(opts.keyspace);
  const migrations = loadMigrations(opts.schemaDir);
  const replication = replicationCql(opts.replication ?? { class: 'SimpleStrategy', replicationFactor: 1 });
  const log = opts.logger?.child({ component: 'cassandra-migrate', keyspace });
  await createKeyspace(opts, keyspace, replication, log);
  const db = await openKeyspace(opts, keyspace);
  try {
    for (const cql of BOOTSTRAP) await db.execute(cql, [], 'create schema_version');
    const owner = randomUUID();
    await acquireLock(db, owner, opts);
    try {
      return await applyPending(db, migrations, log);
    } finally {
      await db.execute('DELETE FROM schema_lock WHERE name = ? IF owner = ?', ['migrate', owner], 'release migration lease', { isIdempotent: false })
        .catch((e: unknown) => log?.warn({ err: e }, 'could not release the migration lease; it expires by TTL'));
    }
  } finally {
    await db.shutdown();
  }
}

async function connect(db: CassandraDb): Promise<void> {
  try {
    await db.client.connect();
  } catch (e) {
    throw storeError('connect', e);
  }
}

/**
 * A client on the keyspace just created or seen. Of two processes creating it at once, the one
 * whose CREATE KEYSPACE IF NOT EXISTS found the other's may connect before the keyspace can be
 * used ("Keyspace … does not exist" from the driver's USE); that answer is retried for a while.
 */
export async function openKeyspace(opts: MigrateOptions, keyspace: string): Promise<CassandraDb> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = Date.now() + 30_000;
  for (;;) {
    const db = new CassandraDb(createClient({ ...opts, keyspace }), 4);
    try {
      await connect(db);
      return db;
    } catch (e) {
      await db.shutdown().catch(() => undefined);
      if (!keyspaceMissing(e) || Date.now() > deadline) throw e;
      await sleep(250);
    }
  }
}

export function keyspaceMissing(e: unknown): boolean {
  for (let c: unknown = e; c instanceof Error; c = c.cause) {
    if (/keyspace .* does not exist/i.test(c.message)) return true;
    const inner = (c as { innerErrors?: Record<string, unknown> }).innerErrors;
    if (inner && Object.values(inner).some((x) => keyspaceMissing(x))) return true;
  }
  return false;
}

async function createKeyspace(opts: MigrateOptions, keyspace: string, replication: string, log: Logger | undefined): Promise<void> {
  const admin = new CassandraDb(createClient({ ...opts, keyspace: undefined }), 2);
  try {
    await connect(admin);
    const existing = admin.client.metadata.keyspaces[keyspace] as { strategy: string; strategyOptions: Record<string, string> } | undefined;
    if (existing) {
      log?.info({ strategy: existing.strategy, options: existing.strategyOptions }, 'keyspace exists; its replication is left as it is');
      return;
    }
    await admin.execute(`CREATE KEYSPACE IF NOT EXISTS ${keyspace} WITH replication = ${replication} AND durable_writes = true`, [], 'create keyspace');
    log?.info({ replication }, 'created keyspace');
  } finally {
    await admin.shutdown();
  }
}

async function acquireLock(db: CassandraDb, owner: string, opts: MigrateOptions): Promise<void> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = Date.now() + (opts.lockTimeoutMs ?? 120_000);
  for (;;) {
    const rs = await db.execute(
      `INSERT INTO schema_lock (name, owner) VALUES (?, ?) IF NOT EXISTS USING TTL ${LOCK_TTL_S}`,
      ['migrate', owner], 'take migration lease', { isIdempotent: false },
    );
    if (rs.rows[0]?.get('[applied]') === true) return;
    if (Date.now() >= deadline) {
      throw new KubetimeError('STORE_UNAVAILABLE', 'cassandra: another process holds the migration lease (schema_lock); try again later', { holder: rs.rows[0]?.get('owner') });
    }
    await sleep(500);
  }
}

async function applyPending(db: CassandraDb, migrations: Migration[], log: Logger | undefined): Promise<number[]> {
  const applied = await appliedMigrations(db);
  const done: number[] = [];
  for (const m of migrations) {
    const checksum = applied.get(m.version);
    if (checksum !== undefined) {
      if (checksum !== m.checksum) log?.warn({ version: m.version, name: m.name }, 'schema file changed after it was applied; not re-applied');
      continue;
    }
    for (const cql of m.statements) await db.execute(cql, [], `migration ${m.version}`);
    await db.execute(
      'INSERT INTO schema_version (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)',
      [m.version, m.name, m.checksum, new Date()], 'record migration',
    );
    log?.info({ version: m.version, name: m.name }, 'applied schema migration');
    done.push(m.version);
  }
  return done;
}
