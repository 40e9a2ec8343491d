/**
 * The slim object of a manifest: only what a summary row (summary.ts, built-in printers), its
 * wide cells (wide.ts) and the label and field selectors of its kind (k8s/field-labels.ts) read.
 * A store keeps it beside each revision (store/lmdb, the `sum` database) so that a summary list as
 * of T reads small rows instead of rebuilding every object; for every object `o` and every time,
 * `summaryRow(slimForSummary(o), ctx)` equals `summaryRow(o, ctx)`, and so do `wideCells` and the
 * selector matches (slim.test.ts checks each printer and varied objects).
 *
 * What is kept is a tree of paths per kind. Where a value has the shape the tree expects (an
 * object, or an array of them) only the named members are kept; any other value (a string where
 * an object was expected, a null) is kept as it is, so a printer reading it gets the very same.
 *
 * Not served from slim objects: a custom resource whose columns come from its CRD's printer
 * columns (JSONPath over any field, `summaryFromSlim`), and a field selector on a CRD's
 * selectableFields (core/queries.ts keeps those on the full path).
 */
import type { TextVariant } from '../ports.ts';
import type { KubeObject } from '../record.ts';
import { hasBuiltinColumns } from './summary.ts';

type Obj = Record<string, any>; // manifests are untyped JSON

/** true: the value as it is; KEYS: an object's keys only (values become 0); else the members named. */
const KEYS = 'keys' as const;
type Tree = true | typeof KEYS | { readonly [member: string]: Tree };

const CONTAINERS: Tree = { name: true, image: true };
/** What wide.ts reads of a workload: its template's containers, its selector. */
const WORKLOAD = {
  selector: true,
  template: { spec: { containers: CONTAINERS, nodeSelector: true } },
  jobTemplate: { spec: { template: { spec: { containers: CONTAINERS } } } },
} as const;
const LOAD_BALANCER: Tree = { loadBalancer: { ingress: { ip: true, hostname: true } } };
const CONTAINER_STATUS: Tree = {
  name: true, restartCount: true, ready: true, started: true,
  state: { waiting: { reason: true }, running: {}, terminated: { reason: true, signal: true, exitCode: true } },
  lastState: { terminated: { finishedAt: true } },
};

/** Members every kind keeps: identity, age, labels (label selectors), deletion. */
const COMMON = {
  kind: true,
  apiVersion: true,
  metadata: { name: true, namespace: true, uid: true, creationTimestamp: true, deletionTimestamp: true, labels: true },
} as const;

/** Per kind (by kind name, as summary.ts picks printers), what its printer, wide cells and field selectors read beyond COMMON. */
const KINDS: Record<string, Obj> = {
  Pod: {
    spec: {
      nodeName: true, restartPolicy: true, schedulerName: true, serviceAccountName: true, hostNetwork: true,
      containers: {}, initContainers: { name: true, restartPolicy: true },
    },
    status: {
      phase: true, reason: true, podIP: true, podIPs: true, nominatedNodeName: true,
      conditions: { type: true, status: true, reason: true },
      initContainerStatuses: CONTAINER_STATUS, containerStatuses: CONTAINER_STATUS,
    },
  },
  Deployment: { spec: { replicas: true, ...WORKLOAD }, status: { readyReplicas: true, updatedReplicas: true, availableReplicas: true } },
  ReplicaSet: { spec: { replicas: true, ...WORKLOAD }, status: { replicas: true, readyReplicas: true } },
  StatefulSet: { spec: { replicas: true, ...WORKLOAD }, status: { readyReplicas: true } },
  DaemonSet: {
    spec: WORKLOAD,
    status: { desiredNumberScheduled: true, currentNumberScheduled: true, numberReady: true, updatedNumberScheduled: true, numberAvailable: true },
  },
  Job: {
    spec: { suspend: true, completions: true, ...WORKLOAD },
    status: { conditions: { type: true, status: true }, succeeded: true, startTime: true, completionTime: true },
  },
  CronJob: { spec: { schedule: true, suspend: true, ...WORKLOAD }, status: { active: {}, lastScheduleTime: true } },
  Service: {
    spec: { type: true, clusterIP: true, externalIPs: true, externalName: true, selector: true, ports: { port: true, nodePort: true, protocol: true } },
    status: LOAD_BALANCER,
  },
  ConfigMap: { data: KEYS, binaryData: KEYS },
  Secret: { type: true, data: KEYS },
  Namespace: { status: { phase: true } },
  Node: {
    spec: { unschedulable: true },
    status: {
      conditions: { type: true, status: true }, addresses: { type: true, address: true },
      nodeInfo: { kubeletVersion: true, osImage: true, kernelVersion: true, containerRuntimeVersion: true },
    },
  },
  PersistentVolumeClaim: { spec: { volumeName: true, storageClassName: true }, status: { phase: true, capacity: { storage: true }, accessModes: true } },
  HorizontalPodAutoscaler: { spec: { scaleTargetRef: { kind: true, name: true }, minReplicas: true, maxReplicas: true }, status: { currentReplicas: true } },
  Ingress: { spec: { ingressClassName: true, rules: { host: true } }, status: LOAD_BALANCER },
  Event: {
    type: true, reason: true, message: true, note: true, involvedObject: true, regarding: true,
    source: true, reportingComponent: true, reportingController: true,
  },
  // No printer, but a field selector of its own (field-labels.ts).
  ReplicationController: { status: { replicas: true } },
};

const TREES: Record<string, Tree> = Object.fromEntries(Object.entries(KINDS).map(([k, t]) => [k, { ...t, ...COMMON, metadata: COMMON.metadata }]));
const GENERIC: Tree = COMMON;

const isPlainObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function pick(value: unknown, tree: Tree): unknown {
  if (tree === true) return value;
  if (Array.isArray(value)) return tree === KEYS ? value : value.map((v) => pick(v, tree));
  if (!isPlainObject(value)) return value;
  const out: Obj = {};
  if (tree === KEYS) {
    for (const k of Object.keys(value)) out[k] = 0;
    return out;
  }
  for (const k of Object.keys(tree)) if (Object.hasOwn(value, k)) out[k] = pick(value[k], tree[k]!);
  return out;
}

/** The slim object of `obj` (see the file comment). */
export function slimForSummary(obj: KubeObject): KubeObject {
  return pick(obj, TREES[String((obj as Obj).kind ?? '')] ?? GENERIC) as KubeObject;
}

/**
 * Whether a summary list of this kind may be answered from slim objects: a kind with built-in
 * columns, or one of the core group (NAME and AGE; core/queries.ts). A kind of another group may
 * be a custom resource whose CRD declares printer columns, read by JSONPath anywhere in the object.
 */
export function summaryFromSlim(kind: { kind: string; group: string }): boolean {
  return kind.group === '' || hasBuiltinColumns(kind.kind);
}

/**
 * What a Table row (the Kubernetes face, `kubectl get`) reads of an object, as a text variant
 * (core/ports.ts) a store may cache: its slim object (the cells, wide cells and selector matches,
 * as above), a newline, and the JSON text of its whole metadata (the row's PartialObjectMetadata,
 * kube-apiserver's default `includeObject=Metadata`), which a Table answer splices in as it is. JSON
 * text holds no raw newline, so the first one splits the two. A Table asked again then parses slim
 * objects only. Exact for the kinds `summaryFromSlim` allows and selectors other than a CRD's
 * selectable fields (as summary lists).
 */
export const TABLE_ROW_TEXT: TextVariant = Object.freeze({
  name: 'tableRow',
  text: (obj: KubeObject) => `${JSON.stringify(slimForSummary(obj))}\n${JSON.stringify(obj.metadata ?? {})}`,
  changedOnlyWith: null,
  parse: (text: string) => tableRowOf(text).slim,
});

/** A TABLE_ROW_TEXT text's two parts: the slim object, parsed, and the metadata's JSON text. */
export function tableRowOf(text: string): { slim: KubeObject; metadataText: string } {
  const cut = text.indexOf('\n');
  return { slim: JSON.parse(text.slice(0, cut)) as KubeObject, metadataText: text.slice(cut + 1) };
}
