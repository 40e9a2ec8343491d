/** The description of one simulated application, from which its manifests are built. */

export type Lang = 'go' | 'java' | 'node' | 'python';
export type Tier = 'frontend' | 'backend' | 'worker';

export interface AppSpec {
  namespace: string;
  name: string;
  tier: Tier;
  lang: Lang;
  team: string;
  /** Container port of the main container. */
  port: number;
  /** Image repository without tag (`registry.example.com/shop/checkout`). */
  image: string;
  /** Current image tag (`v1.4.2`). */
  tag: string;
  configMap: string;
  secret: string;
  /** A ReadWriteMany claim mounted at /var/lib/app, when the app has one. */
  pvc?: string;
  sidecar?: 'envoy' | 'fluent-bit';
  /** `kubectl rollout restart` stamp on the template, when restarted. */
  restartedAt?: string;
}

/** Labels every object of the app carries. */
export function appLabels(app: AppSpec): Record<string, string> {
  return {
    app: app.name,
    'app.kubernetes.io/name': app.name,
    'app.kubernetes.io/part-of': app.namespace,
    'app.kubernetes.io/component': app.tier,
    team: app.team,
  };
}

/** The selector labels (the stable subset). */
export function selectorLabels(app: AppSpec): Record<string, string> {
  return { app: app.name };
}
