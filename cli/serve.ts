/**
 * The one start-up sequence of `kubetime serve` and `kubetime demo`: the app (store, write path,
 * compactor), the HTTP API with the audit sink, then — when there is a cluster to watch — the
 * audit attributions a restart left pending, the watches, and the compactor's schedule.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { recallRecentRevisions } from '../ingester/attribution/attributor-recall.ts';
import type { Config } from './config.ts';
import { createApp, createServer, onShutdown, shutdown, type App } from './compose.ts';
import { checkSinkExposure } from './exposure.ts';
import { clusterNameOf, startWatching } from './watch.ts';

type Io = { out: (s: string) => void; err: (s: string) => void };

/**
 * The cluster to watch: a kubeconfig, or a function that yields one once the API listens (the
 * demo starts its simulator there, which posts audit batches to `app.address`, and registers its
 * stop with `onShutdown(app, 'sources', …)`).
 */
export type WatchTarget = KubeConfig | ((app: App) => Promise<KubeConfig>);

/** Starts store, pipeline, API (and the watch when `watch` is given) in one process. */
export async function serve(config: Config, io: Io, watch?: WatchTarget): Promise<App> {
  if (watch && typeof watch !== 'function' && !config.cluster) config = Object.freeze({ ...config, cluster: clusterNameOf(watch) });
  checkSinkExposure(config);
  const app = await createApp(config);
  try {
    // The watched cluster reviews tokens and access (TokenReview, SubjectAccessReview); the demo's
    // simulated cluster exists only after the API listens, and the demo reads without authentication.
    const server = createServer(app, typeof watch === 'function' ? undefined : watch);
    onShutdown(app, 'api', () => server.close());
    const address = await server.listen({ port: config.port, host: config.host });
    app.address = address;
    app.logger.info({ address, store: config.store, dataDir: config.dataDir }, 'history API listening');
    if (watch) {
      const kubeconfig = typeof watch === 'function' ? await watch(app) : watch;
      void recallThenRestore(app);
      await startWatching(app, kubeconfig);
    }
    app.compactor.start();
  } catch (e) {
    await shutdown(app);
    throw e;
  }
  io.err(`kubetime: serving on ${app.address} (store: ${config.store}${config.store === 'cassandra' ? '' : `, ${config.dataDir}`})\n`);
  return app;
}

/**
 * Audit batches the previous process did not receive may name revisions it stored; then the
 * attributions it journaled while they waited for their revision take their turn.
 */
async function recallThenRestore(app: App): Promise<void> {
  try {
    const n = await recallRecentRevisions(app.attributing, app.store, app.config.cluster ?? 'default');
    app.logger.info({ revisions: n }, 'recalled the latest stored revisions for audit attribution');
  } catch (err) {
    app.logger.warn({ err }, 'recalling the latest stored revisions failed; audit events of changes stored before the restart may stay without actor');
  }
  await restoreJournaled(app);
}

/** Attributes what the journal held at start (what merges now is written, the rest waits again), then rewrites it. */
async function restoreJournaled(app: App): Promise<void> {
  try {
    const merged = app.journaled.length ? await app.attributing.restore(app.journaled) : 0;
    if (app.journaled.length) app.logger.info({ journaled: app.journaled.length, merged }, 'restored the audit attributions waiting at the last stop');
    app.journaled = [];
    await app.journal.compact();
  } catch (err) {
    app.logger.warn({ err }, 'restoring the journaled audit attributions failed; their revisions may stay without actor');
  }
}
