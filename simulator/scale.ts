/** The `autoscaling/v1 Scale` subresource view of a scalable object. */
import type { KubeObject } from '../k8s/object.ts';

/** The autoscaling/v1 Scale view of a Deployment, ReplicaSet or StatefulSet. */
export function scaleOf(obj: KubeObject): KubeObject {
  const meta = obj.metadata as Record<string, unknown>;
  const spec = (obj.spec ?? {}) as { replicas?: number; selector?: { matchLabels?: Record<string, string> } };
  const status = (obj.status ?? {}) as { replicas?: number };
  const selector = Object.entries(spec.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: meta.name, namespace: meta.namespace, uid: meta.uid, resourceVersion: meta.resourceVersion, creationTimestamp: meta.creationTimestamp },
    spec: { replicas: spec.replicas ?? 1 },
    status: { replicas: status.replicas ?? 0, selector },
  };
}
