/**
 * Field selectors as kube-apiserver reads them: `field=value`, `field==value`, `field!=value`
 * joined by commas, `\` escaping `,` `=` and `\` in values, no whitespace trimming. Each kind
 * accepts only its own field labels (an unknown one is a 400, as there), some under an older
 * alias (`spec.host` for a Pod's `spec.nodeName`), and reads each from the object with the
 * apiserver's defaults (`spec.hostNetwork` is "false" when absent). A label the kind accepts but
 * never fills (a Pod's `status.podIPs`, a CronJob's `status.successful`) reads as "".
 */
import { K8sInvalidError } from './errors.ts';
import type { KubeObject } from './object.ts';

/** The kind a field selector applies to; field labels are per kind. */
export interface FieldKind {
  group: string;
  kind: string;
  namespaced: boolean;
  /** A custom resource's selectable fields (`spec.color`), from its CRD (selectableFieldsOf). */
  selectableFields?: readonly string[];
}

/**
 * The selectable fields a CRD declares for one version (`.spec.color` → `spec.color`); none
 * when the CRD or the version is unknown. A version not found falls back to the storage version.
 */
export function selectableFieldsOf(crd: KubeObject | undefined, version: string): string[] {
  const versions = Array.isArray(spec(crd ?? {}).versions) ? (spec(crd!).versions as unknown[]).map(obj) : [];
  const v = versions.find((x) => x.name === version) ?? versions.find((x) => x.storage === true);
  const declared = Array.isArray(v?.selectableFields) ? v.selectableFields : [];
  return declared.map((f) => text(obj(f).jsonPath).replace(/^\./, '')).filter(Boolean);
}

/** A custom resource's field as the apiserver formats it (fmt.Sprint of a scalar), "" when absent. */
function readPath(o: KubeObject, path: string): string {
  let cur: unknown = o;
  for (const part of path.split('.')) cur = obj(cur)[part];
  return cur === undefined || cur === null || typeof cur === 'object' ? '' : String(cur);
}

export interface FieldRequirement {
  field: string;
  op: 'eq' | 'neq';
  value: string;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const text = (v: unknown): string => (typeof v === 'string' ? v : '');
const count = (v: unknown): string => String(typeof v === 'number' ? v : 0);
const bool = (v: unknown): string => String(v === true);

/** One kind's selectable fields: every label it accepts (alias → field) and how to read each. */
interface FieldSet {
  aliases?: Record<string, string>;
  /** Accepted though never filled: reads as "". */
  unfilled?: readonly string[];
  read: Record<string, (o: KubeObject) => string>;
  /** Cluster-scoped kinds with their own conversion refuse `metadata.namespace`. */
  refuseNamespace?: boolean;
}

const spec = (o: KubeObject) => obj(o.spec);
const status = (o: KubeObject) => obj(o.status);

function podIP(o: KubeObject): string {
  const ips = status(o).podIPs;
  if (Array.isArray(ips) && ips.length) return text(obj(ips[0]).ip);
  return text(status(o).podIP);
}

const EVENT_FIELDS: FieldSet['read'] = {
  'involvedObject.kind': (o) => text(obj(o.involvedObject).kind),
  'involvedObject.namespace': (o) => text(obj(o.involvedObject).namespace),
  'involvedObject.name': (o) => text(obj(o.involvedObject).name),
  'involvedObject.uid': (o) => text(obj(o.involvedObject).uid),
  'involvedObject.apiVersion': (o) => text(obj(o.involvedObject).apiVersion),
  'involvedObject.resourceVersion': (o) => text(obj(o.involvedObject).resourceVersion),
  'involvedObject.fieldPath': (o) => text(obj(o.involvedObject).fieldPath),
  reason: (o) => text(o.reason),
  reportingComponent: (o) => text(o.reportingComponent),
  source: (o) => text(obj(o.source).component) || text(o.reportingComponent),
  type: (o) => text(o.type),
};

/** events.k8s.io names the same Event fields its own way; the object is read in either shape. */
const EVENTS_V1_FIELDS: FieldSet['read'] = {
  reason: (o) => text(o.reason),
  type: (o) => text(o.type),
  reportingController: (o) => text(o.reportingController) || text(o.reportingComponent),
  ...Object.fromEntries(['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath'].map((f) => [
    `regarding.${f}`, (o: KubeObject) => text(obj(o.regarding)[f]) || text(obj(o.involvedObject)[f]),
  ])),
};

/** Keyed by group kind (k8s/object groupKind). Kinds not listed take the generic metadata set. */
const FIELD_SETS: Record<string, FieldSet> = {
  Pod: {
    aliases: { 'spec.host': 'spec.nodeName' },
    unfilled: ['status.podIPs'],
    read: {
      'spec.nodeName': (o) => text(spec(o).nodeName),
      'spec.restartPolicy': (o) => text(spec(o).restartPolicy),
      'spec.schedulerName': (o) => text(spec(o).schedulerName),
      'spec.serviceAccountName': (o) => text(spec(o).serviceAccountName),
      'spec.hostNetwork': (o) => bool(spec(o).hostNetwork),
      'status.phase': (o) => text(status(o).phase),
      'status.podIP': podIP,
      'status.nominatedNodeName': (o) => text(status(o).nominatedNodeName),
    },
  },
  Node: { refuseNamespace: true, read: { 'spec.unschedulable': (o) => bool(spec(o).unschedulable) } },
  Namespace: { refuseNamespace: true, read: { 'status.phase': (o) => text(status(o).phase) } },
  ReplicationController: { read: { 'status.replicas': (o) => count(status(o).replicas) } },
  Event: { read: EVENT_FIELDS },
  Secret: { read: { type: (o) => text(o.type) } },
  Service: { read: { 'spec.clusterIP': (o) => text(spec(o).clusterIP), 'spec.type': (o) => text(spec(o).type) } },
  'Event.events.k8s.io': { read: EVENTS_V1_FIELDS },
  'Job.batch': { read: { 'status.successful': (o) => count(status(o).succeeded) } },
  'CertificateSigningRequest.certificates.k8s.io': { refuseNamespace: true, read: { 'spec.signerName': (o) => text(spec(o).signerName) } },
  'ClusterTrustBundle.certificates.k8s.io': { read: { 'spec.signerName': (o) => text(spec(o).signerName) } },
  'ResourceSlice.resource.k8s.io': {
    refuseNamespace: true,
    read: { 'spec.nodeName': (o) => text(spec(o).nodeName), 'spec.driver': (o) => text(spec(o).driver) },
  },
};

const meta = (o: KubeObject) => obj(o.metadata);

/**
 * The field a label names for this kind (aliases resolved) and how to read it, or an error
 * message worded like the apiserver's.
 */
function resolveField(kind: FieldKind | undefined, label: string): { field: string; read: (o: KubeObject) => string } | string {
  const set = kind ? FIELD_SETS[kind.group ? `${kind.kind}.${kind.group}` : kind.kind] : undefined;
  const field = set?.aliases?.[label] ?? label;
  if (field === 'metadata.name') return { field, read: (o) => text(meta(o).name) };
  if (kind?.selectableFields?.includes(field)) return { field, read: (o) => readPath(o, field) };
  if (field === 'metadata.namespace' && !set?.refuseNamespace) {
    // A cluster-scoped kind accepts the label but has no namespace field: it reads "".
    return { field, read: kind?.namespaced === false ? () => '' : (o) => text(meta(o).namespace) };
  }
  const read = set && Object.hasOwn(set.read, field) ? set.read[field] : undefined;
  if (read) return { field, read };
  if (set?.unfilled?.includes(field)) return { field, read: () => '' };
  if (!set) return `"${label}" is not a known field selector: only "metadata.name", "metadata.namespace"`;
  return `field label not supported: ${label}`;
}

/** Splits on commas not escaped by a backslash. */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let start = 0;
  let escaped = false;
  for (let i = 0; i < selector.length; i++) {
    if (escaped) escaped = false;
    else if (selector[i] === '\\') escaped = true;
    else if (selector[i] === ',') {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms;
}

/** The leftmost operator: at each position `!=`, then `==`, then `=`. */
function splitTerm(term: string): [string, '=' | '==' | '!=', string] | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of ['!=', '==', '='] as const) {
      if (term.startsWith(op, i)) return [term.slice(0, i), op, term.slice(i + op.length)];
    }
  }
  return undefined;
}

function unescape(value: string): string {
  let out = '';
  let escaped = false;
  for (const c of value) {
    if (escaped) {
      if (c !== '\\' && c !== ',' && c !== '=') throw new Error(`invalid field selector: invalid escape sequence: \\${c}`);
      out += c;
      escaped = false;
    } else if (c === '\\') escaped = true;
    else if (c === ',' || c === '=') throw new Error(`invalid field selector: unescaped character: ${c}`);
    else out += c;
  }
  if (escaped) throw new Error('invalid field selector: invalid escape sequence: \\');
  return out;
}

/**
 * Parses a field selector for a kind; an empty string selects everything (a blank one does not
 * parse, as in the apiserver). Without a kind only `metadata.name` and `metadata.namespace` are known.
 */
export function parseFieldSelector(selector: string, param = 'fieldSelector', kind?: FieldKind): FieldRequirement[] {
  const terms = splitTerms(selector).filter((t) => t !== '');
  const parsed = terms.map((term) => {
    const split = splitTerm(term);
    if (!split) throw new K8sInvalidError(param, `invalid selector: '${selector}'; can't understand '${term}'`, { selector });
    try {
      return { label: split[0], op: split[1] === '!=' ? ('neq' as const) : ('eq' as const), value: unescape(split[2]) };
    } catch (e) {
      throw new K8sInvalidError(param, (e as Error).message, { selector });
    }
  });
  // A term with neither field nor value (`=`, `!=`) selects everything, as the apiserver drops it.
  return parsed.filter((p) => p.label !== '' || p.value !== '').map((p) => {
    const r = resolveField(kind, p.label);
    if (typeof r === 'string') throw new K8sInvalidError(param, r, { selector });
    return { field: r.field, op: p.op, value: p.value };
  });
}

/** A predicate for a field selector on objects of one kind (see parseFieldSelector). */
export function fieldSelector(selector: string, param = 'fieldSelector', kind?: FieldKind): (o: KubeObject) => boolean {
  const reqs = parseFieldSelector(selector, param, kind).map((r) => ({ ...r, read: (resolveField(kind, r.field) as { read: (o: KubeObject) => string }).read }));
  return (o) => reqs.every((r) => (r.read(o) === r.value) !== (r.op === 'neq'));
}
