import { describe, expect, it } from 'vitest';
import { evalJsonPath, parseFields, project } from './fields.ts';
import { fullView, LAST_APPLIED } from './view.ts';

const deploy = {
  kind: 'Deployment',
  metadata: { name: 'orders', namespace: 'shop', labels: { 'app.kubernetes.io/name': 'orders' }, managedFields: [{ manager: 'kubectl' }], annotations: { [LAST_APPLIED]: '{}', team: 'a' } },
  spec: { replicas: 3, template: { spec: { containers: [{ name: 'app', image: 'orders:1.2' }, { name: 'proxy', image: 'envoy:1.30' }] } } },
};

describe('fields= projections', () => {
  it('projects paths, with [*] giving lists, keys with dots in brackets, and the object named', () => {
    expect(project(deploy, parseFields("spec.template.spec.containers[*].image,spec.replicas,metadata.labels['app.kubernetes.io/name'],status.missing"))).toEqual({
      'metadata.namespace': 'shop',
      'metadata.name': 'orders',
      'spec.template.spec.containers[*].image': ['orders:1.2', 'envoy:1.30'],
      'spec.replicas': 3,
      "metadata.labels['app.kubernetes.io/name']": 'orders',
    });
    expect(evalJsonPath(deploy, '.spec.template.spec.containers[1].name')).toEqual(['proxy']);
  });

  it('refuses what is not a path, naming it', () => {
    expect(() => parseFields('spec..x')).toThrow(/fields: "spec\.\.x" is not a JSON path/);
    expect(() => parseFields(' , ')).toThrow(/fields: must name/);
  });
});

describe('view=full', () => {
  it('drops managedFields and the last-applied annotation, keeps other annotations, leaves the input alone', () => {
    const f = fullView(deploy) as typeof deploy;
    expect(f.metadata).toEqual({ name: 'orders', namespace: 'shop', labels: deploy.metadata.labels, annotations: { team: 'a' } });
    expect(deploy.metadata.managedFields).toHaveLength(1);
  });
});
