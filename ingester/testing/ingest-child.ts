/**
 * A whole ingester in a child process, for the "killed and restarted" fault test: started with
 * a kubeconfig and a data dir, it ingests into the embedded store there, appends the identity
 * of every stored record to `<data-dir>/appended.ndjson`, keeps watch checkpoints there as
 * `kubetime serve` does, prints `watching` once every source watches, and runs until it is killed.
 *
 *   node ingester/testing/ingest-child.ts KUBECONFIG DATA_DIR
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { ChangeRecord } from '../../core/record.ts';
import { LmdbHistoryStore } from '../../store/lmdb/lmdb-history-store.ts';
import { Checkpoints } from '../watch/checkpoints.ts';
import { ClientNodeKubeApi } from '../watch/client-node-kube-api.ts';
import { startIngester } from '../index.ts';
import { WritePipeline } from '../write/pipeline.ts';
import { SpoolingWriter } from '../write/spooling-writer.ts';

const [kubeconfig, dataDir] = process.argv.slice(2);
if (!kubeconfig || !dataDir) throw new Error('usage: ingest-child.ts KUBECONFIG DATA_DIR');
const lmdb = LmdbHistoryStore.open({ path: join(dataDir, 'store') });
const log = join(dataDir, 'appended.ndjson');
const store = {
  ...lmdb,
  lifetimes: lmdb.lifetimes.bind(lmdb),
  revisions: lmdb.revisions.bind(lmdb),
  feed: lmdb.feed.bind(lmdb),
  async append(records: readonly ChangeRecord[]) {
    const r = await lmdb.append(records);
    appendFileSync(log, records.map((x) => JSON.stringify({ cluster: x.cluster, uid: x.uid, resourceVersion: x.resourceVersion, op: x.op })).join('\n') + '\n');
    return r;
  },
};
const kc = new KubeConfig();
kc.loadFromFile(kubeconfig);
const spool = await SpoolingWriter.open({ store, dir: join(dataDir, 'spool') });
const writer = new WritePipeline({ sink: spool, lingerMs: 10 });
const checkpoints = await Checkpoints.open({ path: join(dataDir, 'watch-checkpoints.json') });
const ingester = startIngester({
  api: new ClientNodeKubeApi({ kubeConfig: kc }), cluster: 'sim', writer, store, checkpoints,
  source: { watchdogMs: 2000, backoff: { baseMs: 100, maxMs: 1000 }, listPageSize: 50 },
});
const timer = setInterval(() => {
  const s = ingester.status();
  if (s.sources.length && s.sources.every((x) => x.state === 'watching')) {
    process.stdout.write('watching\n');
    clearInterval(timer);
  }
}, 20);
