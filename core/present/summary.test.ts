import { describe, expect, it } from 'vitest';
import { parseRfc3339 } from '../time.ts';
import { humanDuration } from './age.ts';
import { printerColumnsOf, summaryRow, summaryTable } from './summary.ts';

const AT = parseRfc3339('2026-01-10T12:00:00Z')!;
const meta = (name: string, extra: object = {}) => ({ name, namespace: 'shop', creationTimestamp: '2026-01-10T10:00:00Z', ...extra });

describe('humanDuration (kubectl ages)', () => {
  it.each([[45, '45s'], [119, '119s'], [200, '3m20s'], [600, '10m'], [3 * 3600, '3h'], [5 * 3600 + 180, '5h3m'], [30 * 3600, '30h'], [76 * 3600, '3d4h'], [40 * 86400, '40d'], [740 * 86400, '2y10d']])('%is → %s', (s, text) => {
    expect(humanDuration(s * 1e6)).toBe(text);
  });
});

describe('summary rows', () => {
  it('Deployment: READY, UP-TO-DATE, AVAILABLE, AGE as of the time asked', () => {
    const d = { kind: 'Deployment', metadata: meta('orders'), spec: { replicas: 3 }, status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 } };
    expect(summaryRow(d, { at: AT })).toEqual({ NAME: 'orders', READY: '2/3', 'UP-TO-DATE': 3, AVAILABLE: 2, AGE: '120m' });
  });

  it('Node: NotReady and SchedulingDisabled, ROLES, VERSION after AGE', () => {
    const n = {
      kind: 'Node', metadata: { name: 'node-1', creationTimestamp: '2026-01-01T12:00:00Z', labels: { 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/worker': '' } },
      spec: { unschedulable: true }, status: { conditions: [{ type: 'Ready', status: 'False' }], nodeInfo: { kubeletVersion: 'v1.31.2' } },
    };
    const row = summaryRow(n, { at: AT });
    expect(row).toEqual({ NAME: 'node-1', STATUS: 'NotReady,SchedulingDisabled', ROLES: 'control-plane,worker', AGE: '9d', VERSION: 'v1.31.2' });
    expect(Object.keys(row)).toEqual(['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION']);
  });

  it('Service, ConfigMap, ReplicaSet, Job', () => {
    expect(summaryRow({ kind: 'Service', metadata: meta('web'), spec: { type: 'NodePort', clusterIP: '10.0.0.7', ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }] } }, { at: AT }))
      .toMatchObject({ TYPE: 'NodePort', 'CLUSTER-IP': '10.0.0.7', 'EXTERNAL-IP': '<none>', 'PORT(S)': '80:30080/TCP' });
    expect(summaryRow({ kind: 'ConfigMap', metadata: meta('cfg'), data: { a: '1', b: '2' } }, { at: AT })).toMatchObject({ DATA: 2 });
    expect(summaryRow({ kind: 'ReplicaSet', metadata: meta('rs'), spec: { replicas: 3 }, status: { replicas: 3, readyReplicas: 1 } }, { at: AT }))
      .toMatchObject({ DESIRED: 3, CURRENT: 3, READY: 1 });
    expect(summaryRow({ kind: 'Job', metadata: meta('j'), spec: { completions: 2 }, status: { succeeded: 2, startTime: '2026-01-10T11:00:00Z', completionTime: '2026-01-10T11:02:00Z', conditions: [{ type: 'Complete', status: 'True' }] } }, { at: AT }))
      .toMatchObject({ STATUS: 'Complete', COMPLETIONS: '2/2', DURATION: '2m' });
  });

  it('a custom resource: its CRD printer columns as of T (priority > 0 left out), nothing else', () => {
    const crd = { kind: 'CustomResourceDefinition', spec: { versions: [{ name: 'v1', storage: true, additionalPrinterColumns: [
      { name: 'Size', type: 'integer', jsonPath: '.spec.size' }, { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      { name: 'Debug', type: 'string', jsonPath: '.spec.debug', priority: 1 }, { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ] }] } };
    const w = { kind: 'Widget', metadata: meta('w1'), spec: { size: 3, debug: 'x' }, status: { phase: 'Ready' } };
    expect(summaryRow(w, { at: AT, printerColumns: printerColumnsOf(crd, 'v1') })).toEqual({ NAME: 'w1', SIZE: 3, PHASE: 'Ready', AGE: '120m' });
  });

  it('every other kind: NAME and AGE; a table across namespaces leads with NAMESPACE', () => {
    const t = summaryTable([{ kind: 'Lease', metadata: meta('l1') }, { kind: 'Lease', metadata: { ...meta('l2'), namespace: 'kube-system' } }], { at: AT }, true);
    expect(t).toEqual({ columns: ['NAMESPACE', 'NAME', 'AGE'], rows: [['shop', 'l1', '120m'], ['kube-system', 'l2', '120m']] });
  });
});
