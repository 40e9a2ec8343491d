/**
 * `--help` of the commands that run kubetime itself (serve, demo, import, migrate, snapshot,
 * restore, verify): the usage line and every flag the command's parser accepts, each explained.
 * Each flag is also a KUBETIME_* variable (cli/config.ts; README.md lists them).
 */
import type { ParseArgsConfig } from 'node:util';
import { commandHelp } from './client/help.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

const TEXT: Record<string, [string, string]> = {
  port: ['N', 'HTTP port of the history API (default 8080)'],
  host: ['ADDR', 'address to listen on'],
  'data-dir': ['DIR', 'the embedded store\'s folder (default ./data)'],
  cluster: ['NAME', 'the cluster name recorded (default: the kubeconfig context\'s cluster)'],
  'log-level': ['LEVEL', 'fatal, error, warn, info (default), debug, trace or silent'],
  store: ['STORE', 'embedded (default) or cassandra'],
  help: ['', 'print this help'],
  'no-watch': ['', 'do not watch a cluster (serve the stored history and the audit sink only)'],
  context: ['CTX', 'the kubeconfig context to watch (default: the current one)'],
  kubeconfig: ['FILE', 'the kubeconfig file (default $KUBECONFIG, else ~/.kube/config)'],
  'audit-token': ['TOKEN', 'bearer token POST /v1/audit requires'],
  snapshots: ['URL', 'where snapshots go: a folder, file:// or s3:// URL'],
  'snapshot-interval': ['DURATION', 'time between snapshots (default 15m)'],
  'tls-cert-file': ['FILE', 'serve https with this PEM certificate'],
  'tls-key-file': ['FILE', 'and this PEM key'],
  retention: ['RULES', 'retention, first match wins: events=1d,*/kube-system=7d,*=30d'],
  'disk-budget': ['BYTES', 'warn from 80% of this data-dir size, error past it (e.g. 50Gi)'],
  'include-kinds': ['KINDS', 'record only these kinds (comma-separated, as kubectl names them)'],
  'exclude-kinds': ['KINDS', 'do not record these kinds'],
  'include-namespaces': ['NSS', 'record only these namespaces'],
  'exclude-namespaces': ['NSS', 'do not record these namespaces'],
  'label-selector': ['SELECTOR', 'record only objects with these labels'],
  'audit-log': ['FILE', 'an audit log file (JSON lines) to import; repeatable'],
  from: ['URL', 'restore: the snapshot to restore from'],
  force: ['', 'restore: overwrite a data dir that is not empty'],
};

const USAGES: Record<string, string> = {
  serve: 'kubetime serve [flags]',
  demo: 'kubetime demo [flags]',
  import: 'kubetime import --audit-log FILE… [flags]',
  migrate: 'kubetime migrate [flags]',
  snapshot: 'kubetime snapshot [flags]',
  restore: 'kubetime restore --from URL [flags]',
  verify: 'kubetime verify [flags]',
};

/** Whether argv asks for help. */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}

/** The help of one of these commands, from the options its parser takes. */
export function serverCommandHelp(command: string, options: Options): string {
  return commandHelp(USAGES[command] ?? `kubetime ${command} [flags]`, options, 'Every flag can also be set by its KUBETIME_* variable (README.md).', TEXT);
}
