/**
 * `kubetime serve` without --no-watch: list+watch every resource of the kubeconfig's cluster
 * (ingester/), writing through the app's pipeline. The audit sink learns CRD kinds from it.
 * Each watch's durable resourceVersion is kept in `<data-dir>/watch-checkpoints.json`, so a
 * restart resumes the watches there instead of relisting.
 */
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { KubetimeError } from '../core/errors.ts';
import { Checkpoints, CHECKPOINTS_FILE, ClientNodeKubeApi, startIngester, type Ingester } from '../ingester/index.ts';
import { onShutdown, type App } from './compose.ts';
import { loadKubeConfig } from './kubeconfig.ts';

export { loadKubeConfig };
import { instrumentWriter } from './instrument.ts';


/** A cluster name from a kubeconfig context, shaped as config's cluster names are. */
export function clusterNameOf(kc: KubeConfig): string {
  const name = kc.getCurrentContext().toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  return name || 'default';
}

export async function startWatching(app: App, kc: KubeConfig): Promise<Ingester> {
  const checkpoints = await Checkpoints.open({ path: join(app.config.dataDir, CHECKPOINTS_FILE), logger: app.logger.child({ component: 'checkpoints' }) });
  const cluster = app.config.cluster ?? clusterNameOf(kc);
  const ingester = startIngester({
    api: new ClientNodeKubeApi({ kubeConfig: kc }),
    cluster,
    writer: instrumentWriter(app.writer, { span: 'kubetime.watch.write' }),
    store: app.store,
    logger: app.logger.child({ component: 'ingester' }),
    metrics: app.ingestMetrics,
    filters: app.config.filters,
    checkpoints,
  });
  // Checkpoints are written last, once every watch stopped and its records are durable.
  onShutdown(app, 'sources', async () => {
    await ingester.stop();
    await checkpoints.close();
  });
  app.kindForResource = (group, resource) => ingester.kindForResource(group, resource);
  app.servedKinds = (c) => (c === cluster ? ingester.servedKinds() : []);
  app.kindNamespaced = (group, kind) => ingester.kindNamespaced(group, kind);
  return ingester;
}
