/**
 * A generated, seeded history for the benchmarks: Pods of realistic size (4–10 KB of JSON) that
 * are created, then churn — mostly status-only changes (conditions, restarts, probes), sometimes
 * a spec or label change — as kube-apiserver audit events at level RequestResponse.
 */
import { prng } from '../../simulator/prng.ts';

export { prng };

export interface PodSpecInput { ns: string; name: string; uid: string; rv: number; rand: () => number; node: string }

const T0 = Date.UTC(2026, 0, 10, 0, 0, 0);

export function isoMicros(micros: number): string {
  const ms = Math.floor(micros / 1000);
  return new Date(ms).toISOString().slice(0, 19) + '.' + String(micros % 1_000_000).padStart(6, '0') + 'Z';
}

function container(i: number, rand: () => number) {
  return {
    name: `c${i}`,
    image: `registry.example.com/team/service-${i}:v1.${Math.floor(rand() * 50)}.${Math.floor(rand() * 9)}`,
    args: ['--port=8080', '--log-format=json', `--shard=${Math.floor(rand() * 64)}`],
    env: Array.from({ length: 6 + Math.floor(rand() * 10) }, (_, k) => ({ name: `ENV_VAR_${k}`, value: `value-${k}-${Math.floor(rand() * 1e9).toString(36)}` })),
    ports: [{ containerPort: 8080, name: 'http', protocol: 'TCP' }, { containerPort: 9090, name: 'metrics', protocol: 'TCP' }],
    resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } },
    livenessProbe: { httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP' }, initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 1, failureThreshold: 3, successThreshold: 1 },
    readinessProbe: { httpGet: { path: '/readyz', port: 8080, scheme: 'HTTP' }, periodSeconds: 5, timeoutSeconds: 1, failureThreshold: 3, successThreshold: 1 },
    volumeMounts: [{ name: 'config', mountPath: '/etc/config', readOnly: true }, { name: 'kube-api-access', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true }],
    terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', imagePullPolicy: 'IfNotPresent',
  };
}

export function makePod(p: PodSpecInput): Record<string, any> {
  const n = 1 + Math.floor(p.rand() * 2);
  const containers = Array.from({ length: n }, (_, i) => container(i, p.rand));
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name: p.name, namespace: p.ns, uid: p.uid, resourceVersion: String(p.rv), creationTimestamp: new Date(T0).toISOString(),
      labels: { app: p.name.split('-')[0], 'pod-template-hash': '7d9f8c', tier: 'backend' },
      annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9090' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${p.name.split('-')[0]}-7d9f8c`, uid: `rs-${p.ns}`, controller: true, blockOwnerDeletion: true }],
      managedFields: [{ manager: 'kube-controller-manager', operation: 'Update', apiVersion: 'v1', time: new Date(T0).toISOString(), fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': {} }, 'f:spec': { 'f:containers': {} } } }],
    },
    spec: {
      containers, nodeName: p.node, restartPolicy: 'Always', terminationGracePeriodSeconds: 30, dnsPolicy: 'ClusterFirst',
      serviceAccountName: 'default', schedulerName: 'default-scheduler', priority: 0, enableServiceLinks: true, preemptionPolicy: 'PreemptLowerPriority',
      securityContext: {},
      tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }, { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }],
      volumes: [{ name: 'config', configMap: { name: 'app-config', defaultMode: 420 } }, { name: 'kube-api-access', projected: { defaultMode: 420, sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } }, { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } }] } }],
    },
    status: {
      phase: 'Running', hostIP: '10.0.0.1', podIP: `10.244.${Math.floor(p.rand() * 255)}.${Math.floor(p.rand() * 255)}`, qosClass: 'Burstable', startTime: new Date(T0).toISOString(),
      conditions: ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: new Date(T0).toISOString() })),
      containerStatuses: containers.map((c) => ({ name: c.name, ready: true, restartCount: 0, image: c.image, imageID: `${c.image}@sha256:${'ab'.repeat(32)}`, containerID: `containerd://${'cd'.repeat(32)}`, started: true, state: { running: { startedAt: new Date(T0).toISOString() } }, lastState: {} })),
    },
  };
}

/** A status-only change: restarts, readiness flips, new start times. */
export function churnStatus(pod: Record<string, any>, rv: number, tsIso: string, rand: () => number): void {
  pod.metadata.resourceVersion = String(rv);
  const cs = pod.status.containerStatuses[Math.floor(rand() * pod.status.containerStatuses.length)];
  const ready = rand() < 0.5;
  cs.ready = ready;
  if (!ready) {
    cs.restartCount++;
    cs.lastState = { terminated: { exitCode: 137, reason: rand() < 0.3 ? 'OOMKilled' : 'Error', startedAt: cs.state.running?.startedAt ?? tsIso, finishedAt: tsIso, containerID: cs.containerID } };
    cs.state = { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${10 * cs.restartCount}s restarting failed container` } };
  } else {
    cs.state = { running: { startedAt: tsIso } };
  }
  const cond = pod.status.conditions[1];
  cond.status = ready ? 'True' : 'False';
  cond.lastTransitionTime = tsIso;
  pod.status.conditions[2].status = cond.status;
  pod.status.conditions[2].lastTransitionTime = tsIso;
}

export interface AuditEventInput { verb: string; pod: Record<string, any>; micros: number; n: number; subresource?: string }

export function auditEvent(e: AuditEventInput): Record<string, unknown> {
  const ts = isoMicros(e.micros);
  return {
    kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'RequestResponse', auditID: `bench-${e.n}`, stage: 'ResponseComplete',
    requestURI: `/api/v1/namespaces/${e.pod.metadata.namespace}/pods/${e.pod.metadata.name}${e.subresource ? '/' + e.subresource : ''}`,
    verb: e.verb, user: { username: e.subresource ? 'system:node:node-1' : 'system:serviceaccount:kube-system:replicaset-controller', groups: ['system:nodes', 'system:authenticated'] },
    sourceIPs: ['10.0.0.1'], userAgent: 'kubelet/v1.34.0 (linux/amd64) kubernetes/abcdef0',
    objectRef: { resource: 'pods', namespace: e.pod.metadata.namespace, name: e.pod.metadata.name, apiVersion: 'v1', ...(e.subresource ? { subresource: e.subresource } : {}) },
    responseStatus: { metadata: {}, code: e.verb === 'create' ? 201 : 200 },
    requestObject: e.subresource ? { status: e.pod.status } : undefined,
    responseObject: e.pod,
    requestReceivedTimestamp: ts, stageTimestamp: ts,
  };
}

export interface WorkloadOptions { pods: number; records: number; namespaces: number; bigNamespacePods: number; seed: number; spanMicros: number }

export interface PodRef { ns: string; name: string; uid: string }

/** One batch of a workload: EventList JSON text, its event count, the time of its last event. */
export interface Batch { text: string; count: number; lastMicros: number }

/**
 * Runs `each` on every batch of a workload in order, each awaited before the next batch is made,
 * and returns the workload's Pods.
 */
export async function eachBatch(batches: Generator<Batch, PodRef[], void>, each: (batch: Batch, i: number) => unknown): Promise<PodRef[]> {
  for (let i = 0; ; i++) {
    const next = batches.next();
    if (next.done) return next.value;
    await each(next.value, i);
  }
}

/**
 * Yields batches of audit events (as EventList JSON text, the way the apiserver sends them):
 * first every Pod's create, then status churn spread over the span. Also reports the pods.
 */
export function* workload(o: WorkloadOptions, batchSize: number): Generator<Batch, PodRef[], void> {
  const rand = prng(o.seed);
  const t0 = T0 * 1000;
  const pods: Record<string, any>[] = [];
  const refs: PodRef[] = [];
  let rv = 1000;
  let n = 0;
  // Events are serialised when made: a pod object changes again later in the same batch.
  let batch: string[] = [];
  let lastMicros = t0;
  const flush = () => {
    const text = `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[${batch.join(',')}]}`;
    const out = { text, count: batch.length, lastMicros };
    batch = [];
    return out;
  };
  const createSpan = o.spanMicros / 20;
  for (let i = 0; i < o.pods; i++) {
    const big = i < o.bigNamespacePods;
    const ns = big ? 'big' : `ns-${i % o.namespaces}`;
    const name = `app${i % 40}-7d9f8c-${i.toString(36).padStart(5, '0')}`;
    const uid = `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
    const pod = makePod({ ns, name, uid, rv: ++rv, rand, node: `node-${i % 200}` });
    pods.push(pod);
    refs.push({ ns, name, uid });
    lastMicros = t0 + Math.floor((i / o.pods) * createSpan);
    batch.push(JSON.stringify(auditEvent({ verb: 'create', pod, micros: lastMicros, n: n++ })));
    if (batch.length >= batchSize) yield flush();
  }
  const churn = o.records - o.pods;
  for (let j = 0; j < churn; j++) {
    const pod = pods[Math.floor(rand() * pods.length)]!;
    lastMicros = t0 + createSpan + Math.floor((j / churn) * (o.spanMicros - createSpan));
    churnStatus(pod, ++rv, isoMicros(lastMicros), rand);
    batch.push(JSON.stringify(auditEvent({ verb: 'patch', pod, micros: lastMicros, n: n++, subresource: 'status' })));
    if (batch.length >= batchSize) yield flush();
  }
  if (batch.length) yield flush();
  return refs;
}
