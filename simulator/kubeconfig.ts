/** Writes a kubeconfig that points clients at the simulated API server. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { stringify } from 'yaml';

/** The context (and cluster and user) name in the kubeconfig written for the simulator. */
export const SIM_CONTEXT = 'kubetime-sim';

export interface KubeconfigOptions {
  /** The server URL (`http://127.0.0.1:PORT`). */
  server: string;
  /** Bearer token; default `kubetime-sim-token` (any token is accepted unless the server requires one). */
  token?: string;
  /** Default namespace of the context. */
  namespace?: string;
}

/** The kubeconfig document (as an object). */
export function kubeconfigDocument(opts: KubeconfigOptions): Record<string, unknown> {
  const context: Record<string, string> = { cluster: SIM_CONTEXT, user: SIM_CONTEXT };
  if (opts.namespace) context.namespace = opts.namespace;
  return {
    apiVersion: 'v1',
    kind: 'Config',
    // client-node refuses plain http unless TLS verification is (nominally) skipped.
    clusters: [{ name: SIM_CONTEXT, cluster: { server: opts.server, 'insecure-skip-tls-verify': opts.server.startsWith('http:') } }],
    users: [{ name: SIM_CONTEXT, user: { token: opts.token ?? 'kubetime-sim-token' } }],
    contexts: [{ name: SIM_CONTEXT, context }],
    'current-context': SIM_CONTEXT,
    preferences: {},
  };
}

/** Writes the kubeconfig as YAML (mode 0600, parent directories created). */
export async function writeKubeconfig(path: string, opts: KubeconfigOptions): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, stringify(kubeconfigDocument(opts)), { mode: 0o600 });
}
