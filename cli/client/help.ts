/**
 * Per-command help: the usage line, then every flag the command's parser accepts, each with what
 * it does. The list is made from the parser's own option table, so help cannot fall behind it.
 */
import type { ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/** What each flag does, with its value's name. A flag missing here is listed without text. */
const FLAG_TEXT: Record<string, [value: string, text: string]> = {
  server: ['URL', 'the kubetime server (default $KUBETIME_SERVER, else http://127.0.0.1:8080)'],
  cluster: ['NAME', 'the cluster to ask (optional while the server holds one)'],
  output: ['FORMAT', 'table (default), wide (get: with the columns kubectl -o wide adds), json or yaml'],
  help: ['', 'print this help'],
  namespace: ['NS', 'the namespace (default: "default" for namespaced kinds)'],
  'all-namespaces': ['', 'every namespace'],
  selector: ['SELECTOR', 'label selector, as kubectl takes it (app=web,tier in (a,b),!canary,version>2)'],
  'field-selector': ['SELECTOR', "field selector (status.phase=Running,spec.nodeName!=n1); the kind's own fields, as the apiserver's"],
  at: ['T', 'the moment to show (default now)'],
  from: ['T', 'start of the window'],
  to: ['T', 'end of the window (default now)'],
  limit: ['N', 'at most N items'],
  continue: ['TOKEN', 'the next page, from the previous answer'],
  'suspect-window': ['DURATION', 'how far before a failure\'s start to look for the changes that may have caused it (default 15m)'],
  view: ['full|raw|summary', 'full (default): without managedFields and last-applied; raw: as the apiserver returned it; summary: kubectl-get-like rows'],
  fields: ['PATHS', 'only these JSON paths of each object, comma-separated (spec.nodeName,spec.template.spec.containers[*].image)'],
  objects: ['', 'include each revision\'s whole object'],
  raw: ['', 'keep the noise fields (managedFields, resourceVersion, generation) in the patch'],
  hops: ['N', 'how far to follow relations (default 2)'],
  kind: ['KIND', 'only this kind'],
  name: ['NAME', 'only this object name'],
  actor: ['USER', 'only changes by this user: the full name, or a short one (alice matches alice@example.com, deployment-controller matches system:serviceaccount:kube-system:deployment-controller), or a prefix ending at ":" (system:serviceaccount:shop)'],
  type: ['TYPE', 'only Events of this type (Normal, Warning)'],
  'show-managed-fields': ['', 'keep metadata.managedFields in -o json|yaml output (left out by default, as kubectl does)'],
};

const TIME_HELP = 'Times: RFC 3339 (2026-01-10T10:05:00Z), now, or now-<n><s|m|h|d>.';

/** Help for one command: usage, then one line per flag (`-n, --namespace NS   text`). */
export function commandHelp(usage: string, options: Options, extra: string = TIME_HELP, texts: Record<string, [string, string]> = FLAG_TEXT): string {
  const rows = Object.entries(options).map(([flag, o]) => {
    const [value, text] = texts[flag] ?? ['', ''];
    const left = `${o.short ? `-${o.short}, ` : '    '}--${flag}${value ? ` ${value}` : ''}`;
    return [left, text] as const;
  });
  const width = Math.max(...rows.map(([l]) => l.length));
  const lines = rows.map(([l, t]) => `  ${l.padEnd(width)}   ${t}`.trimEnd());
  return `Usage: ${usage}\n\nFlags:\n${lines.join('\n')}\n\n${extra}\n`;
}
