/** `kubetime migrate | snapshot | restore | verify`: the store's and the compactor's one-shot work. */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { KubetimeError } from '../core/errors.ts';
import { formatTime } from '../core/time.ts';
import { renderVerifyReport, restore, verify } from '../compactor/index.ts';
import { CHECKPOINTS_FILE } from '../ingester/index.ts';
import { loadConfig, type Config, type Flags } from './config.ts';
import { createApp, openSnapshots, shutdown, type App } from './compose.ts';

type Io = { out: (s: string) => void; err: (s: string) => void };

/** The flags of migrate, snapshot, restore and verify (also listed by their --help). */
export const OPTIONS = {
  'data-dir': { type: 'string' },
  cluster: { type: 'string' },
  store: { type: 'string' },
  snapshots: { type: 'string' },
  'log-level': { type: 'string' },
  from: { type: 'string' },
  force: { type: 'boolean' },
} as const;

async function withApp<T>(config: Config, fn: (app: App) => Promise<T>): Promise<T> {
  const app = await createApp(config);
  try {
    return await fn(app);
  } finally {
    await shutdown(app);
  }
}

async function migrateCommand(config: Config, io: Io): Promise<number> {
  if (config.store !== 'cassandra') {
    io.out('nothing to migrate: the embedded store needs no schema (KUBETIME_STORE=cassandra selects Cassandra)\n');
    return 0;
  }
  const { migrate } = await import('../store/cassandra/index.ts');
  const applied = await migrate({
    contactPoints: config.cassandra.contactPoints, localDataCenter: config.cassandra.localDataCenter,
    keyspace: config.cassandra.keyspace, replication: config.cassandra.replication,
  });
  io.out(applied.length ? `applied migrations ${applied.join(', ')} to keyspace ${config.cassandra.keyspace}\n` : `keyspace ${config.cassandra.keyspace} is up to date\n`);
  return 0;
}

async function snapshotCommand(config: Config, io: Io): Promise<number> {
  return withApp(config, async (app) => {
    const report = await app.compactor.runOnce({ at: app.clock.now(), snapshotOnly: true });
    for (const m of report.snapshots) io.out(`snapshot ${m.id} of cluster ${m.cluster} at ${formatTime(m.at)}: ${m.counts.objects} objects -> ${config.snapshots}\n`);
    for (const f of report.failed) io.err(`snapshot of cluster ${f.cluster} failed: ${f.error}\n`);
    if (!report.snapshots.length && !report.failed.length) io.out('nothing to snapshot: the store holds no cluster yet\n');
    return report.failed.length ? 1 : 0;
  });
}

async function restoreCommand(config: Config, from: string | undefined, force: boolean, io: Io): Promise<number> {
  if (!from) throw new KubetimeError('INVALID_ARGUMENT', 'from: required (a file:// path or s3://bucket/prefix holding snapshots)', { param: 'from' });
  const source = await openSnapshots(config, from);
  return withApp(config, async (app) => {
    const existing = await app.store.clusters();
    if (existing.length && !force) {
      throw new KubetimeError('INVALID_ARGUMENT', `data-dir: the store already holds ${existing.map((c) => c.name).join(', ')}; restore builds a fresh store (use another --data-dir, or --force to merge)`, { param: 'data-dir' });
    }
    const results = await restore({ from: source, into: app.store, clock: app.clock, logger: app.logger.child({ component: 'restore' }) });
    // A restore that skipped a damaged snapshot, or restored nothing, is not a success: it says which.
    let incomplete = false;
    for (const r of results) {
      io.out(`restored cluster ${r.cluster}: ${r.used.length} snapshots, ${r.revisions} revisions, ${r.deletions} deletions inferred${r.skipped.length ? `; skipped ${r.skipped.length} damaged snapshots` : ''}\n`);
      for (const d of r.skipped) io.err(`kubetime restore: skipped damaged snapshot ${d.id} of cluster ${r.cluster} (at ${formatTime(d.at)}): ${d.problems.join('; ')}\n`);
      if (!r.used.length) io.err(`kubetime restore: restored nothing of cluster ${r.cluster}: every snapshot of it is damaged\n`);
      incomplete ||= r.skipped.length > 0 || r.used.length === 0;
    }
    if (!results.length) io.out(`no snapshots found at ${from}\n`);
    // The restored store is behind the watches' checkpoints: the next `serve` must list, not resume.
    if (results.length) await rm(join(config.dataDir, CHECKPOINTS_FILE), { force: true });
    return results.length && !incomplete ? 0 : 1;
  });
}

async function verifyCommand(config: Config, io: Io): Promise<number> {
  return withApp(config, async (app) => {
    const report = await verify({ store: app.store, snapshots: app.snapshots, clock: app.clock, interval: config.snapshotInterval * 1000 });
    io.out(renderVerifyReport(report));
    return report.ok ? 0 : 1;
  });
}

export async function runOpsCommand(command: string, argv: string[], io: Io): Promise<number> {
  const { values } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: false, strict: true });
  const config = loadConfig(process.env, values as Flags);
  switch (command) {
    case 'migrate': return migrateCommand(config, io);
    case 'snapshot': return snapshotCommand(config, io);
    case 'restore': return restoreCommand(config, values.from, values.force === true, io);
    default: return verifyCommand(config, io);
  }
}
