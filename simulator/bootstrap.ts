/**
 * The initial cluster: namespaces, nodes, a storage class, the example CRD with a few Widgets,
 * and the apps (already rolled out, pods running), spread over the namespaces.
 */
import { ACTORS } from './actors.ts';
import { createApp, namespaceNames } from './behaviors/apps.ts';
import { storageClass, namespace, node } from './manifests/infra.ts';
import { widget } from './manifests/app.ts';
import { fnv1a } from './prng.ts';
import type { Sim } from './sim.ts';

const ZONES = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];
const BASE_IMAGES = [
  { names: ['registry.k8s.io/pause:3.10'], sizeBytes: 320368 },
  { names: ['public.ecr.aws/eks-distro/kubernetes/kube-proxy:v1.31.4-eksbuild.1'], sizeBytes: 30882436 },
  { names: ['docker.io/amazon/aws-efs-csi-driver:v2.1.0'], sizeBytes: 71205621 },
  { names: ['public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.4'], sizeBytes: 119735281 },
  { names: ['envoyproxy/envoy:v1.31.2'], sizeBytes: 64517723 },
];

function createNodes(sim: Sim): void {
  for (let i = 0; i < sim.opts.nodes; i++) {
    const zone = i % ZONES.length;
    const third = 16 * zone + 32 + Math.floor(i / 250);
    const fourth = (i % 250) + 4;
    const ip = `10.0.${third}.${fourth}`;
    const name = `ip-10-0-${third}-${fourth}.eu-west-1.compute.internal`;
    const instance = `i-0${(fnv1a(name) >>> 0).toString(16).padStart(8, '0')}${sim.rng.hex(8)}`;
    sim.cluster.create(node({
      name, zone: ZONES[zone]!, instanceType: i % 4 === 3 ? 'm6i.2xlarge' : 'm6i.xlarge', internalIP: ip, podCIDR: `10.244.${i % 256}.0/24`,
      providerID: `aws:///${ZONES[zone]}/${instance}`, time: sim.time(), images: BASE_IMAGES,
    }), sim.ctx({ user: { username: `system:node:${name}`, groups: ['system:nodes', 'system:authenticated'] }, userAgent: 'kubelet/v1.31.4 (linux/amd64) kubernetes/a78aa47' }, 'create'));
    sim.world.nodes.push({ name, index: i % 256, ip, cordoned: false, pods: new Set(), nextIp: 0 });
  }
}

function createWidgets(sim: Sim): void {
  sim.cluster.addCustomResource({ group: 'example.com', version: 'v1', kind: 'Widget', shortNames: ['wd'] }, sim.ctx(ACTORS.admin, 'create'));
  for (const ns of sim.world.namespaces) {
    sim.cluster.create(widget(ns, `${ns}-widget`, sim.rng.int(1, 5), sim.rng.pick(['red', 'green', 'blue'])), sim.ctx(ACTORS.bob, 'create'));
  }
}

/** Creates the initial objects. */
export function bootstrap(sim: Sim): void {
  const admin = sim.ctx(ACTORS.admin, 'create');
  for (const ns of ['default', 'kube-system']) sim.cluster.create(namespace(ns), admin);
  createNodes(sim);
  sim.cluster.create(storageClass('efs-sc', true), admin);
  for (const ns of namespaceNames(sim.opts.namespaces)) {
    sim.cluster.create(namespace(ns, { team: ns }), admin);
    sim.world.namespaces.push(ns);
  }
  if (sim.opts.widgets) createWidgets(sim);
  for (let i = 0; i < sim.opts.deployments; i++) {
    const ns = sim.world.namespaces[i % sim.world.namespaces.length]!;
    createApp(sim, { namespace: ns, replicas: sim.opts.replicas, actor: sim.rng.chance(0.5) ? ACTORS.ci : ACTORS.alice, bootstrap: true });
  }
}
