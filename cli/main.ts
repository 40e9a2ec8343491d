/**
 * `kubetime <command>`: parses the command line, builds the configuration once, and runs the
 * command. Exit codes: 0 ok, 1 failure, 2 usage or configuration error.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isKubetimeError } from '../core/errors.ts';
import { loadConfig, type Config, type Flags } from './config.ts';
import { createApp, createServer, shutdown, type App } from './compose.ts';
import { importAuditLogs } from '../ingester/audit-import.ts';
import { recallRecentRevisions } from '../ingester/attributor-recall.ts';
import type { KubeConfig } from '@kubernetes/client-node';
import { clusterNameOf, loadKubeConfig, startWatching } from './watch.ts';

const COMMON: NonNullable<ParseArgsConfig['options']> = {
  'data-dir': { type: 'string' },
  cluster: { type: 'string' },
  'log-level': { type: 'string' },
  store: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

const SERVE: NonNullable<ParseArgsConfig['options']> = {
  ...COMMON,
  port: { type: 'string' },
  host: { type: 'string' },
  'no-watch': { type: 'boolean' },
  context: { type: 'string' },
  kubeconfig: { type: 'string' },
  'audit-token': { type: 'string' },
  snapshots: { type: 'string' },
  'snapshot-interval': { type: 'string' },
  'tls-cert-file': { type: 'string' },
  'tls-key-file': { type: 'string' },
  retention: { type: 'string' },
  'disk-budget': { type: 'string' },
  'include-kinds': { type: 'string' },
  'exclude-kinds': { type: 'string' },
  'include-namespaces': { type: 'string' },
  'exclude-namespaces': { type: 'string' },
  'label-selector': { type: 'string' },
};

export const USAGE = `kubetime — time-travel history for Kubernetes

Usage:
  kubetime serve [--port N] [--data-dir DIR] [--cluster NAME] [--no-watch] [--context CTX]
  kubetime demo [--port N] [--data-dir DIR]
  kubetime import --audit-log FILE… [--data-dir DIR] [--cluster NAME]
  kubetime get KIND[/NAME] [-n NS] [-A] [-l SELECTOR] --at T [-o json|yaml|table]
  kubetime history KIND/NAME [-n NS] [--from T] [--to T]
  kubetime diff KIND[/NAME] [-n NS] --from T --to T [--raw]
  kubetime graph KIND/NAME [-n NS] --at T [--hops N]
  kubetime changes --from T --to T [-n NS] [--kind K] [--name N] [--actor U]
  kubetime events --from T --to T [-n NS] [--kind K] [--name N]
  kubetime clusters
  kubetime failures --from T --to T [-n NS] [--kind K] [--name N] [--suspect-window 15m]
  kubetime migrate | snapshot | restore --from URL | verify

Times: RFC 3339, now, or now-<n><s|m|h|d>. Query commands talk to --server
(default $KUBETIME_SERVER, else http://127.0.0.1:8080). Configuration: flags and KUBETIME_*
variables (README.md).
`;


type Io = { out: (s: string) => void; err: (s: string) => void };
const stdio: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

function parse(argv: string[], options: NonNullable<ParseArgsConfig['options']>) {
  return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
}

/** Runs until SIGINT/SIGTERM, then stops everything in reverse order. */
async function runUntilSignal(app: App, io: Io): Promise<number> {
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  io.err('kubetime: stopping\n');
  await shutdown(app);
  return 0;
}

/** Starts store, pipeline, API (and the watch when `kubeconfig` is given) in one process. */
export async function serve(config: Config, io: Io, kubeconfig?: KubeConfig): Promise<App> {
  if (kubeconfig && !config.cluster) config = Object.freeze({ ...config, cluster: clusterNameOf(kubeconfig) });
  const app = await createApp(config);
  const server = createServer(app);
  app.closers.push(() => server.close());
  const address = await server.listen({ port: config.port, host: config.host });
  app.address = address;
  app.logger.info({ address, store: config.store, dataDir: config.dataDir }, 'history API listening');
  if (kubeconfig) {
    // Audit batches the previous process did not receive may name revisions it stored; then the
    // attributions it journaled while they waited for their revision take their turn.
    void recallRecentRevisions(app.attributing, app.store, config.cluster ?? 'default')
      .then((n) => app.logger.info({ revisions: n }, 'recalled the latest stored revisions for audit attribution'))
      .catch((err: unknown) => app.logger.warn({ err }, 'recalling the latest stored revisions failed; audit events of changes stored before the restart may stay without actor'))
      .then(() => restoreJournaled(app));
    await startWatching(app, kubeconfig);
  }
  app.compactor.start();
  io.err(`kubetime: serving on ${address} (store: ${config.store}${config.store === 'cassandra' ? '' : `, ${config.dataDir}`})\n`);
  return app;
}

/** Attributes what the journal held at start (what merges now is written, the rest waits again), then rewrites it. */
async function restoreJournaled(app: App): Promise<void> {
  try {
    const merged = app.journaled.length ? await app.attributing.restore(app.journaled) : 0;
    if (app.journaled.length) app.logger.info({ journaled: app.journaled.length, merged }, 'restored the audit attributions waiting at the last stop');
    app.journaled = [];
    await app.journal.compact();
  } catch (err) {
    app.logger.warn({ err }, 'restoring the journaled audit attributions failed; their revisions may stay without actor');
  }
}

async function runImport(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, { ...COMMON, 'audit-log': { type: 'string', multiple: true } });
  const files = [...((values['audit-log'] as string[] | undefined) ?? []), ...positionals];
  if (!files.length) {
    io.err('kubetime import: --audit-log FILE is required\n');
    return 2;
  }
  const config = loadConfig(process.env, values as Flags);
  const app = await createApp(config);
  try {
    const report = await importAuditLogs({ sink: app.sink, files, cluster: config.cluster });
    io.out(`imported ${report.lines} events from ${report.files} file(s): ${report.accepted} changes recorded, ${report.ignored} not changes (reads, failures, requests that changed nothing, metadata-only)${report.badLines ? `, ${report.badLines} lines not JSON` : ''}\n`);
    return 0;
  } finally {
    await shutdown(app);
  }
}

async function runServe(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, SERVE);
  const config = loadConfig(process.env, values as Flags);
  const kc = config.watch ? loadKubeConfig({ kubeconfig: config.kubeconfig, context: config.context }) : undefined;
  const app = await serve(config, io, kc);
  return runUntilSignal(app, io);
}

async function runDemo(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, SERVE);
  const { runDemo: demo } = await import('./demo.ts');
  const app = await demo(loadConfig(process.env, { ...(values as Flags), 'no-watch': true }), io);
  return runUntilSignal(app, io);
}

async function runOps(command: string, argv: string[], io: Io): Promise<number> {
  const { runOpsCommand } = await import('./ops.ts');
  return runOpsCommand(command, argv, io);
}

export async function main(argv: string[], io: Io = stdio): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (!command || command === 'help' || command === '--help' || command === '-h') {
      io.out(USAGE);
      return command ? 0 : 2;
    }
    const client = await import('./client/index.ts');
    if ((client.CLIENT_COMMANDS as readonly string[]).includes(command)) {
      // Only the server URL comes from the configuration here; a bad unrelated variable must not stop a query.
      const server = process.env.KUBETIME_SERVER ? loadConfig({ KUBETIME_SERVER: process.env.KUBETIME_SERVER }).server : undefined;
      return await client.runClientCommand(argv, { stdout: io.out, stderr: io.err, server, fetch });
    }
    switch (command) {
      case 'serve': return await runServe(rest, io);
      case 'demo': return await runDemo(rest, io);
      case 'import': return await runImport(rest, io);
      case 'migrate':
      case 'snapshot':
      case 'restore':
      case 'verify':
        return await runOps(command, rest, io);
      default:
        io.err(`kubetime: unknown command "${command}"\n\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    if (isKubetimeError(e)) {
      io.err(`kubetime ${command}: ${e.message}\n`);
      return e.code === 'INVALID_ARGUMENT' ? 2 : 1;
    }
    if (e instanceof TypeError && (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`kubetime ${command}: ${e.message}\n`);
      return 2;
    }
    io.err(`kubetime ${command}: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    return 1;
  }
}
