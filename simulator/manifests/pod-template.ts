/**
 * The pod template of an app's Deployment, with the defaults the apiserver fills in, so pods
 * built from it have realistic size and shape (env with valueFrom, resources, probes, mounts).
 */
import type { KubeObject } from '../../k8s/object.ts';
import { appLabels, type AppSpec, type Lang } from './app-spec.ts';

const RESOURCES: Record<Lang, { requests: Record<string, string>; limits: Record<string, string> }> = {
  go: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
  java: { requests: { cpu: '500m', memory: '768Mi' }, limits: { cpu: '2', memory: '1536Mi' } },
  node: { requests: { cpu: '200m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } },
  python: { requests: { cpu: '250m', memory: '384Mi' }, limits: { cpu: '1', memory: '768Mi' } },
};

const LANG_ENV: Record<Lang, { name: string; value: string }[]> = {
  go: [{ name: 'GOMAXPROCS', value: '2' }, { name: 'GOMEMLIMIT', value: '230MiB' }],
  java: [{ name: 'JAVA_TOOL_OPTIONS', value: '-XX:MaxRAMPercentage=75.0 -XX:+UseG1GC -Dfile.encoding=UTF-8' }, { name: 'SPRING_PROFILES_ACTIVE', value: 'prod' }],
  node: [{ name: 'NODE_ENV', value: 'production' }, { name: 'NODE_OPTIONS', value: '--max-old-space-size=384' }],
  python: [{ name: 'PYTHONUNBUFFERED', value: '1' }, { name: 'GUNICORN_CMD_ARGS', value: '--workers=3 --timeout=30' }],
};

function fieldRef(name: string, fieldPath: string) {
  return { name, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath } } };
}

function probe(path: string, delay: number) {
  return {
    httpGet: { path, port: 'http', scheme: 'HTTP' },
    initialDelaySeconds: delay,
    timeoutSeconds: 2,
    periodSeconds: 10,
    successThreshold: 1,
    failureThreshold: 3,
  };
}

function mainContainer(app: AppSpec): Record<string, unknown> {
  const mounts: Record<string, unknown>[] = [
    { name: 'config', mountPath: '/etc/app', readOnly: true },
    { name: 'app-secrets', mountPath: '/var/run/secrets/app', readOnly: true },
    { name: 'tmp', mountPath: '/tmp' },
  ];
  if (app.pvc) mounts.push({ name: 'data', mountPath: '/var/lib/app' });
  return {
    name: app.name,
    image: `${app.image}:${app.tag}`,
    imagePullPolicy: 'IfNotPresent',
    ports: [
      { name: 'http', containerPort: app.port, protocol: 'TCP' },
      { name: 'metrics', containerPort: 9090, protocol: 'TCP' },
    ],
    envFrom: [{ configMapRef: { name: app.configMap } }],
    env: [
      fieldRef('POD_NAME', 'metadata.name'),
      fieldRef('POD_NAMESPACE', 'metadata.namespace'),
      fieldRef('NODE_NAME', 'spec.nodeName'),
      fieldRef('POD_IP', 'status.podIP'),
      { name: 'LOG_LEVEL', valueFrom: { configMapKeyRef: { name: app.configMap, key: 'LOG_LEVEL' } } },
      { name: 'DATABASE_PASSWORD', valueFrom: { secretKeyRef: { name: app.secret, key: 'db-password' } } },
      { name: 'API_TOKEN', valueFrom: { secretKeyRef: { name: app.secret, key: 'api-token', optional: true } } },
      { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: 'http://otel-collector.observability.svc.cluster.local:4317' },
      { name: 'OTEL_SERVICE_NAME', value: app.name },
      ...LANG_ENV[app.lang],
    ],
    resources: RESOURCES[app.lang],
    livenessProbe: probe('/healthz', app.lang === 'java' ? 45 : 10),
    readinessProbe: probe('/ready', 5),
    volumeMounts: mounts,
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: 10001,
      capabilities: { drop: ['ALL'] },
    },
  };
}

function sidecar(kind: 'envoy' | 'fluent-bit'): Record<string, unknown> {
  const envoy = kind === 'envoy';
  return {
    name: kind,
    image: envoy ? 'envoyproxy/envoy:v1.31.2' : 'cr.fluentbit.io/fluent/fluent-bit:3.1.9',
    imagePullPolicy: 'IfNotPresent',
    args: envoy ? ['-c', '/etc/envoy/envoy.yaml', '--log-level', 'warn'] : ['--config=/fluent-bit/etc/fluent-bit.yaml'],
    ports: envoy ? [{ name: 'envoy-admin', containerPort: 9901, protocol: 'TCP' }] : [],
    resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } },
    volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
  };
}

/** The pod template of the app's Deployment (with apiserver defaults). */
export function podTemplate(app: AppSpec): KubeObject {
  const volumes: Record<string, unknown>[] = [
    { name: 'config', configMap: { name: app.configMap, defaultMode: 420 } },
    { name: 'app-secrets', secret: { secretName: app.secret, defaultMode: 420 } },
    { name: 'tmp', emptyDir: { sizeLimit: '1Gi' } },
  ];
  if (app.pvc) volumes.push({ name: 'data', persistentVolumeClaim: { claimName: app.pvc } });
  const containers = [mainContainer(app)];
  if (app.sidecar) containers.push(sidecar(app.sidecar));
  const annotations: Record<string, string> = {
    'prometheus.io/scrape': 'true',
    'prometheus.io/port': '9090',
    'prometheus.io/path': '/metrics',
  };
  if (app.restartedAt) annotations['kubectl.kubernetes.io/restartedAt'] = app.restartedAt;
  return {
    metadata: { creationTimestamp: null, labels: appLabels(app), annotations },
    spec: {
      volumes,
      containers,
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      serviceAccountName: app.name,
      serviceAccount: app.name,
      securityContext: { fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } },
      affinity: {
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [{
            weight: 100,
            podAffinityTerm: { labelSelector: { matchLabels: { app: app.name } }, topologyKey: 'kubernetes.io/hostname' },
          }],
        },
      },
      schedulerName: 'default-scheduler',
    },
  };
}
