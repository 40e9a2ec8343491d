/** An app's ConfigMap, Secret, ServiceAccount, Service, Ingress and Widget (the example CRD). */
import type { KubeObject } from '../../k8s/object.ts';
import { appLabels, selectorLabels, type AppSpec } from './app-spec.ts';

function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

export function configMap(app: AppSpec, logLevel: string, featureFlags: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: app.configMap, namespace: app.namespace, labels: appLabels(app) },
    data: {
      LOG_LEVEL: logLevel,
      FEATURE_FLAGS: featureFlags,
      HTTP_PORT: String(app.port),
      'app.yaml': `server:\n  port: ${app.port}\n  shutdownTimeout: 25s\ncache:\n  ttl: 5m\n  size: 10000\nupstreams:\n  timeout: 2s\n  retries: 2\n`,
    },
  };
}

export function secret(app: AppSpec, password: string, token: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: app.secret, namespace: app.namespace, labels: appLabels(app) },
    type: 'Opaque',
    data: { 'db-password': b64(password), 'api-token': b64(token), 'db-user': b64(`${app.name.replace(/-/g, '_')}_rw`) },
  };
}

/** Base64 for Secret data values. */
export function secretValue(text: string): string {
  return b64(text);
}

export function serviceAccount(app: AppSpec): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: app.name, namespace: app.namespace, labels: appLabels(app) },
  };
}

export function service(app: AppSpec, clusterIP: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: app.name, namespace: app.namespace, labels: appLabels(app) },
    spec: {
      type: 'ClusterIP',
      selector: selectorLabels(app),
      ports: [
        { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
        { name: 'metrics', port: 9090, targetPort: 'metrics', protocol: 'TCP' },
      ],
      clusterIP,
      clusterIPs: [clusterIP],
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      sessionAffinity: 'None',
      internalTrafficPolicy: 'Cluster',
    },
    status: { loadBalancer: {} },
  };
}

export function ingress(app: AppSpec, host: string, paths: string[]): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name: app.name,
      namespace: app.namespace,
      labels: appLabels(app),
      annotations: { 'cert-manager.io/cluster-issuer': 'letsencrypt-prod', 'nginx.ingress.kubernetes.io/proxy-body-size': '8m' },
    },
    spec: {
      ingressClassName: 'nginx',
      tls: [{ hosts: [host], secretName: `${app.name}-tls` }],
      rules: [{
        host,
        http: { paths: paths.map((path) => ({ path, pathType: 'Prefix', backend: { service: { name: app.name, port: { name: 'http' } } } })) },
      }],
    },
    status: { loadBalancer: { ingress: [{ hostname: 'k8s-ingressn-ingressn-5c3d1e2f9a-0123456789.elb.eu-west-1.amazonaws.com' }] } },
  };
}

export function widget(namespace: string, name: string, size: number, color: string): KubeObject {
  return {
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    metadata: { name, namespace, labels: { 'app.kubernetes.io/managed-by': 'widget-operator' } },
    spec: { size, color },
    status: { phase: 'Ready', observedSize: size },
  };
}
