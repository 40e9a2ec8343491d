/**
 * `kubetime <command>`: parses the command line, builds the configuration once, and runs the
 * command. Exit codes: 0 ok, 1 failure, 2 usage or configuration error.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isKubetimeError } from '../core/errors.ts';
import { loadConfig, type Config, type Flags } from './config.ts';
import { FLAGS as QUERY_FLAGS, USAGE as QUERY_USAGE } from './client/args.ts';
import { createApp, shutdown, type App } from './compose.ts';
import { importAuditLogs } from '../ingester/audit/audit-import.ts';
import { serve } from './serve.ts';
import { loadKubeConfig } from './watch.ts';
import { serverCommandHelp, wantsHelp } from './server-help.ts';

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
  'audit-max-skew': { type: 'string' },
  'audit-client-ca-file': { type: 'string' },
  'no-audit-sink': { type: 'boolean' },
  'audit-max-inflight': { type: 'string' },
  'request-timeout': { type: 'string' },
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
  authn: { type: 'string' },
  'token-file': { type: 'string' },
  authz: { type: 'string' },
  'policy-file': { type: 'string' },
  'ops-open': { type: 'string' },
};

export const USAGE = `kubetime — time-travel history for Kubernetes

Usage:
  kubetime serve [--port N] [--data-dir DIR] [--cluster NAME] [--no-watch] [--context CTX]
                 [--authn none|tokenreview|token-file] [--authz allow-all|rbac|policy]
  kubetime demo [--port N] [--data-dir DIR]
  kubetime import --audit-log FILE… [--data-dir DIR] [--cluster NAME]
  kubetime mcp [--server URL | --data-dir DIR] [--mcp-budget TOKENS]   (MCP tools over stdio)
  kubetime migrate | snapshot | restore --from URL | verify

Query commands (each also takes ${QUERY_FLAGS}):
${Object.values(QUERY_USAGE).map((u) => `  ${u.replace(` ${QUERY_FLAGS}`, '')}`).join('\n')}

kubetime COMMAND --help lists every flag of the command.
Times: RFC 3339, now, or now-<n><s|m|h|d>; --at and --to default to now. Query commands talk
to --server (default $KUBETIME_SERVER, else http://127.0.0.1:8080). Configuration: flags and
KUBETIME_* variables (README.md).
`;


type Io = { out: (s: string) => void; err: (s: string) => void };
const stdio: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

function parse(argv: string[], options: NonNullable<ParseArgsConfig['options']>) {
  return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
}

/** Runs until SIGINT/SIGTERM, then stops everything, phase by phase (compose.ts SHUTDOWN_PHASES). */
async function runUntilSignal(app: App, io: Io): Promise<number> {
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  io.err('kubetime: stopping\n');
  await shutdown(app);
  return 0;
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
    for (const f of report.failures) {
      io.err(`kubetime import: ${f.file}: ${f.reason}; stored from it before the error: ${f.acceptedBefore} changes from ${f.eventsBefore} events\n`);
    }
    io.out(`imported ${report.lines} lines from ${report.files} file(s): ${report.accepted} changes recorded, ${report.ignored} not changes (reads, failures, requests that changed nothing, metadata-only)${report.badLines ? `, ${report.badLines} lines not audit events` : ''}${report.refused ? `, ${report.refused} refused as implausible` : ''}${report.failures.length ? `, ${report.failures.length} file(s) failed` : ''}\n`);
    // Non-zero whenever something was refused or could not be read (docs/hardening.md).
    return report.failures.length || report.badLines || report.refused ? 1 : 0;
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

async function runMcp(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, { ...COMMON, server: { type: 'string' }, 'mcp-budget': { type: 'string' } });
  const { MCP_USAGE, runMcpStdio } = await import('./mcp.ts');
  if (values.help) {
    io.out(MCP_USAGE);
    return 0;
  }
  const remote = values.server !== undefined || !!process.env.KUBETIME_SERVER;
  return runMcpStdio(loadConfig(process.env, values as Flags), remote);
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
      const token = loadConfig({ KUBETIME_TOKEN: process.env.KUBETIME_TOKEN }).token;
      return await client.runClientCommand(argv, { stdout: io.out, stderr: io.err, server, fetch, ...(token ? { token } : {}) });
    }
    const options = await commandOptions(command);
    if (options && wantsHelp(rest)) {
      io.out(serverCommandHelp(command, options));
      return 0;
    }
    switch (command) {
      case 'serve': return await runServe(rest, io);
      case 'demo': return await runDemo(rest, io);
      case 'import': return await runImport(rest, io);
      case 'mcp': return await runMcp(rest, io);
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
    const busy = portInUse(e);
    if (busy) {
      io.err(`kubetime ${command}: port ${busy} is already in use; stop what listens there or choose another port with --port N\n`);
      return 1;
    }
    if (e instanceof TypeError && (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`kubetime ${command}: ${e.message}\n`);
      return 2;
    }
    io.err(`kubetime ${command}: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    return 1;
  }
}

/** The flags each server-side command's parser takes (for --help). */
async function commandOptions(command: string): Promise<NonNullable<ParseArgsConfig['options']> | undefined> {
  if (command === 'serve' || command === 'demo') return SERVE;
  if (command === 'import') return { ...COMMON, 'audit-log': { type: 'string', multiple: true } };
  if (['migrate', 'snapshot', 'restore', 'verify'].includes(command)) return { ...(await import('./ops.ts')).OPTIONS, help: COMMON.help! };
  return undefined;
}

/** The port of an "address in use" failure to listen, if that is what `e` is. */
function portInUse(e: unknown): string | undefined {
  const err = e as { code?: unknown; port?: unknown; message?: unknown };
  if (err?.code !== 'EADDRINUSE') return undefined;
  if (typeof err.port === 'number' || typeof err.port === 'string') return String(err.port);
  return /:(\d+)\b/.exec(String(err.message))?.[1] ?? 'the configured';
}
