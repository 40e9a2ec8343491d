/**
 * Kubernetes label and field selectors.
 * Labels: `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`, joined by commas.
 * Fields: `path=v`, `path==v`, `path!=v` joined by commas, where path is a dotted JSON path
 * (metadata.name, metadata.namespace, status.phase, spec.nodeName, … any scalar field).
 */
import { invalidArgument } from './errors.ts';
import type { KubeObject } from './record.ts';

export type Requirement =
  | { key: string; op: 'eq' | 'neq'; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'notexists' };

export type Selector = (obj: KubeObject) => boolean;

const KEY = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Splits on commas that are not inside parentheses. */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      terms.push(cur);
      cur = '';
    } else cur += ch;
  }
  terms.push(cur);
  return terms.map((t) => t.trim());
}

function checkKey(param: string, key: string): string {
  if (!KEY.test(key) || key.length > 316) throw invalidArgument(param, `"${key}" is not a valid label key`);
  return key;
}

function checkValue(param: string, v: string): string {
  if (!VALUE.test(v) || v.length > 63) throw invalidArgument(param, `"${v}" is not a valid label value`);
  return v;
}

function parseLabelTerm(param: string, term: string): Requirement {
  let m = /^(\S+?)\s+(in|notin)\s*\((.*)\)$/.exec(term);
  if (m) {
    const values = m[3]!.split(',').map((v) => checkValue(param, v.trim()));
    return { key: checkKey(param, m[1]!), op: m[2] as 'in' | 'notin', values };
  }
  m = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
  if (m) return { key: checkKey(param, m[1]!), op: m[2] === '!=' ? 'neq' : 'eq', value: checkValue(param, m[3]!.trim()) };
  m = /^!\s*(\S+)$/.exec(term);
  if (m) return { key: checkKey(param, m[1]!), op: 'notexists' };
  if (/^\S+$/.test(term)) return { key: checkKey(param, term), op: 'exists' };
  throw invalidArgument(param, `cannot parse "${term}"; expected k=v, k!=v, k in (a,b), k notin (a,b), k or !k`);
}

/** Parses a label selector; an empty string selects everything. */
export function parseLabelSelector(text: string, param = 'labelSelector'): Requirement[] {
  if (!text.trim()) return [];
  return splitTerms(text).map((t) => {
    if (!t) throw invalidArgument(param, 'empty term');
    return parseLabelTerm(param, t);
  });
}

/** Whether a label map satisfies every requirement (Kubernetes semantics: notin and != match absent keys). */
export function matchLabels(reqs: readonly Requirement[], labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return reqs.every((r) => {
    const has = Object.hasOwn(l, r.key);
    const v = l[r.key];
    switch (r.op) {
      case 'eq': return has && v === r.value;
      case 'neq': return !has || v !== r.value;
      case 'in': return has && r.values.includes(v!);
      case 'notin': return !has || !r.values.includes(v!);
      case 'exists': return has;
      case 'notexists': return !has;
    }
  });
}

export function labelsOf(obj: KubeObject): Record<string, string> | undefined {
  return (obj.metadata as { labels?: Record<string, string> } | undefined)?.labels;
}

export function labelSelector(text: string, param = 'labelSelector'): Selector {
  const reqs = parseLabelSelector(text, param);
  return (obj) => matchLabels(reqs, labelsOf(obj));
}

function fieldValue(obj: KubeObject, path: string): string {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return '';
    cur = (cur as Record<string, unknown>)[part];
  }
  if (cur === undefined || cur === null) return '';
  return typeof cur === 'object' ? JSON.stringify(cur) : String(cur);
}

const FIELD = /^([A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*)\s*(==|=|!=)\s*(.*)$/;

/** Parses a field selector; an empty string selects everything. */
export function fieldSelector(text: string, param = 'fieldSelector'): Selector {
  if (!text.trim()) return () => true;
  const reqs = splitTerms(text).map((t) => {
    const m = FIELD.exec(t);
    if (!m) throw invalidArgument(param, `cannot parse "${t}"; expected field=value or field!=value (e.g. status.phase=Running)`);
    return { path: m[1]!, neq: m[3] === '!=', value: m[4]!.trim() };
  });
  return (obj) => reqs.every((r) => (fieldValue(obj, r.path) === r.value) !== r.neq);
}
