/**
 * `fields=` projections: JSON paths into a manifest (`spec.template.spec.containers[*].image`,
 * `metadata.labels['app.kubernetes.io/name']`, `status.conditions[0].type`). A projected object
 * is a flat map from each path to its value; a path with `[*]` gives the list of what it matched;
 * a path that matches nothing is left out.
 */
import { invalidArgument } from '../errors.ts';
import type { KubeObject } from '../record.ts';

type Step = { key: string } | { index: number } | { all: true };

const SEGMENT = /^(?:\.?([A-Za-z0-9_$@-]+)|\[(\d+)\]|\[\*\]|\[(?:'([^']*)'|"([^"]*)")\])/;

/** Parses a path, or undefined when it is not one. */
export function parsePath(path: string): Step[] | undefined {
  const steps: Step[] = [];
  let rest = path.trim().replace(/^\{(.*)\}$/, '$1').replace(/^\$/, '').replace(/^\./, '');
  if (!rest) return undefined;
  while (rest) {
    const m = SEGMENT.exec(rest);
    if (!m) return undefined;
    if (m[1] !== undefined) steps.push({ key: m[1] });
    else if (m[2] !== undefined) steps.push({ index: Number(m[2]) });
    else if (m[3] !== undefined || m[4] !== undefined) steps.push({ key: (m[3] ?? m[4])! });
    else steps.push({ all: true });
    rest = rest.slice(m[0].length);
  }
  return steps;
}

function walk(values: unknown[], step: Step): unknown[] {
  const out: unknown[] = [];
  for (const v of values) {
    if (v === null || typeof v !== 'object') continue;
    if ('key' in step) {
      if (!Array.isArray(v) && step.key in v) out.push((v as Record<string, unknown>)[step.key]);
    } else if ('index' in step) {
      if (Array.isArray(v) && step.index < v.length) out.push(v[step.index]);
    } else {
      out.push(...(Array.isArray(v) ? v : Object.values(v)));
    }
  }
  return out;
}

/** Every value `path` reaches in `obj` (a malformed path reaches none). */
export function evalJsonPath(obj: unknown, path: string): unknown[] {
  const steps = parsePath(path);
  if (!steps) return [];
  return steps.reduce<unknown[]>((vals, step) => walk(vals, step), [obj]);
}

/**
 * Parses a `fields=` list (comma-separated paths; commas inside brackets stay).
 * @throws INVALID_ARGUMENT naming `param` and the path that is not one.
 */
export function parseFields(text: string, param = 'fields'): string[] {
  const paths: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '[') depth++;
    if (ch === ']') depth--;
    if (ch === ',' && depth === 0) {
      paths.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  paths.push(cur.trim());
  const kept = paths.filter(Boolean);
  if (!kept.length) throw invalidArgument(param, 'must name at least one JSON path (spec.replicas,status.phase)');
  for (const p of kept) if (!parsePath(p)) throw invalidArgument(param, `"${p}" is not a JSON path; use dotted keys, [n], [*] or ['key.with.dots']`);
  return kept;
}

/**
 * A flat projection of `obj`: `metadata.namespace` and `metadata.name` first (so every item says
 * which object it is), then each path's value (a list for paths with `[*]`).
 */
export function project(obj: KubeObject, paths: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const meta = (obj.metadata ?? {}) as { namespace?: string; name?: string };
  if (meta.namespace) out['metadata.namespace'] = meta.namespace;
  if (meta.name !== undefined) out['metadata.name'] = meta.name;
  for (const p of paths) {
    const values = evalJsonPath(obj, p);
    if (!values.length) continue;
    out[p] = p.includes('*') ? values : values[0];
  }
  return out;
}
