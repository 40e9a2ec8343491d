import { describe, expect, it } from 'vitest';
import { wideCells, wideOnlyColumns } from './wide.ts';

describe('kubectl -o wide columns', () => {
  it('gives a Pod its IP and keeps NODE for wide output', () => {
    expect(wideCells({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, status: { podIP: '10.0.0.7' } })).toEqual({ IP: '10.0.0.7' });
    expect(wideCells({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } })).toEqual({ IP: '<none>' });
    expect(wideOnlyColumns('Pod')).toEqual(['NODE']);
  });

  it('gives workloads their containers, images and selector, a Service its selector', () => {
    const deploy = {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' },
      spec: { selector: { matchLabels: { app: 'web', tier: 'fe' } }, template: { spec: { containers: [{ name: 'web', image: 'web:1' }, { name: 'envoy', image: 'envoy:2' }] } } },
    };
    expect(wideCells(deploy)).toEqual({ CONTAINERS: 'web,envoy', IMAGES: 'web:1,envoy:2', SELECTOR: 'app=web,tier=fe' });
    expect(wideCells({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { selector: { app: 'web' } } })).toEqual({ SELECTOR: 'app=web' });
    expect(wideCells({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } })).toEqual({});
  });

  it('gives a Node its addresses and OS', () => {
    const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' }, status: { addresses: [{ type: 'InternalIP', address: '10.0.1.2' }], nodeInfo: { osImage: 'Bottlerocket', kernelVersion: '6.1', containerRuntimeVersion: 'containerd://1.7' } } };
    expect(wideCells(node)).toEqual({ 'INTERNAL-IP': '10.0.1.2', 'EXTERNAL-IP': '<none>', 'OS-IMAGE': 'Bottlerocket', 'KERNEL-VERSION': '6.1', 'CONTAINER-RUNTIME': 'containerd://1.7' });
  });
});

describe('summary rows with wide columns (view=summary&wide=true, kubetime get -o wide)', () => {
  it('adds the wide cells after the summary columns, for one object and for a list', async () => {
    const { showList, showObject } = await import('./objects.ts');
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'a', creationTimestamp: '2026-01-10T10:00:00Z' }, spec: { nodeName: 'n1' }, status: { phase: 'Running', podIP: '10.0.0.7' } };
    const at = Date.parse('2026-01-10T10:05:00Z') * 1000;
    const narrow = showList([pod], { view: 'summary', at }, false);
    const wide = showList([pod], { view: 'summary', at, wide: true }, false);
    expect(narrow.columns).not.toContain('IP');
    expect(wide.columns).toEqual([...narrow.columns!, 'IP']);
    expect((wide.items[0] as unknown[]).at(-1)).toBe('10.0.0.7');
    expect(showObject(pod, { view: 'summary', at, wide: true })).toMatchObject({ NAME: 'p', IP: '10.0.0.7' });
  });
});
