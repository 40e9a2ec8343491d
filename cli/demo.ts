/**
 * `kubetime demo`: the whole pipeline against the built-in simulated cluster. The simulator
 * serves a Kubernetes API on loopback (the ingester reaches it through a kubeconfig, as it would
 * any cluster) and posts its audit batches to kubetime's sink; the history API answers on --port.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { join } from 'node:path';
import { startSimulator } from '../simulator/index.ts';
import type { KubeObject } from '../core/record.ts';
import type { Config } from './config.ts';
import { onShutdown, type App } from './compose.ts';
import { serve } from './serve.ts';

type Io = { out: (s: string) => void; err: (s: string) => void };

function pick(sim: Awaited<ReturnType<typeof startSimulator>>) {
  const deploy = sim.cluster.list('Deployment.apps').find((d) => (d.metadata as { namespace: string }).namespace !== 'kube-system') as KubeObject;
  const meta = deploy.metadata as { name: string; namespace: string };
  return { ns: meta.namespace, deploy: meta.name };
}

export function exampleQueries(base: string, p: { ns: string; deploy: string }): string {
  const q = (path: string) => `  curl -s '${base}${path}'`;
  const cli = base === 'http://127.0.0.1:8080' ? 'npx kubetime' : `KUBETIME_SERVER=${base} npx kubetime`;
  return [
    `What did Deployment ${p.deploy} look like 30 seconds ago? (give the demo half a minute first)`,
    q(`/v1/object?kind=deploy&namespace=${p.ns}&name=${p.deploy}&at=now-30s`),
    `  ${cli} get deploy/${p.deploy} -n ${p.ns} --at now-30s -o yaml`,
    `Which pods were in namespace ${p.ns} then?`,
    q(`/v1/objects?kind=pods&namespace=${p.ns}&at=now-30s&view=summary`),
    `  ${cli} get pods -n ${p.ns} --at now-30s`,
    `How did the Deployment change, and who changed it?`,
    q(`/v1/history?kind=deploy&namespace=${p.ns}&name=${p.deploy}&from=now-10m`),
    `  ${cli} history deploy/${p.deploy} -n ${p.ns} --from now-10m`,
    `  ${cli} diff deploy/${p.deploy} -n ${p.ns} --from now-5m --to now`,
    `What is connected to the Deployment: its ReplicaSets, Pods, Services, Nodes, ConfigMaps?`,
    q(`/v1/graph?kind=deploy&namespace=${p.ns}&name=${p.deploy}&at=now&hops=2`),
    `  ${cli} graph deploy/${p.deploy} -n ${p.ns} --at now`,
    `Everything that changed in the last two minutes, newest first:`,
    q(`/v1/changes?from=now-2m&to=now&limit=20`),
    `  ${cli} changes --from now-2m --to now`,
    `Kubernetes Events in ${p.ns}:`,
    q(`/v1/events?from=now-10m&to=now&namespace=${p.ns}`),
    `For AI agents: MCP tools at ${base}/mcp (streamable HTTP), or over stdio with: kubetime mcp --server ${base}`,
    `In a browser: the web timeline of ${p.ns} (changes, who made them, failures, diffs, the state as of any moment): ${base}/ui?namespace=${p.ns}`,
    `API reference: ${base}/docs  (OpenAPI: ${base}/openapi.json)`,
  ].join('\n');
}

export async function runDemo(config: Config, io: Io): Promise<App> {
  const demoConfig: Config = Object.freeze({
    ...config,
    cluster: config.cluster ?? 'demo',
    dataDir: config.dataDir.endsWith('/data') ? join(config.dataDir, 'demo') : config.dataDir,
    logLevel: config.logLevel === 'info' ? 'warn' : config.logLevel,
  });
  // The same start-up as `serve`: the sink is up before the simulator posts its first audit
  // batch, then recall and journal restore, the watch of the simulator, the compactor.
  let sim: Awaited<ReturnType<typeof startSimulator>> | undefined;
  const app = await serve(demoConfig, io, async (app) => {
    const started = await startSimulator({
      scenario: { seed: 42, namespaces: 3, deployments: 8, replicas: 3, churnPerSecond: 4 },
      audit: { url: `${app.address!.replace('0.0.0.0', '127.0.0.1')}/v1/audit`, token: demoConfig.auditToken, batchMaxWaitMs: 1000 },
    });
    sim = started;
    onShutdown(app, 'sources', () => started.stop());
    const kc = new KubeConfig();
    kc.loadFromFile(started.kubeconfigPath);
    return kc;
  });
  if (!sim) throw new Error('kubetime demo: the simulator did not start');
  const base = app.address!.replace('0.0.0.0', '127.0.0.1');
  io.out([
    ``,
    `kubetime demo: recording a simulated cluster (${sim.url}) into ${demoConfig.dataDir}`,
    `The simulator rolls out Deployments, crash-loops and OOM-kills pods, drains nodes, scales HPAs and`,
    `edits ConfigMaps and Secrets; kubetime records every change from the watch and the audit webhook.`,
    ``,
    exampleQueries(base, pick(sim)),
    ``,
    `Press Ctrl-C to stop.`,
    ``,
  ].join('\n'));
  return app;
}
