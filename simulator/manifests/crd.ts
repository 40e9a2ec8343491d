/** The CustomResourceDefinition object the apiserver would hold for a registered custom resource. */
import type { KubeObject } from '../../k8s/object.ts';
import type { ResourceType } from '../resources.ts';

export function crdManifest(type: ResourceType): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${type.resource}.${type.group}` },
    spec: {
      group: type.group,
      names: { kind: type.kind, listKind: type.listKind, plural: type.resource, singular: type.kind.toLowerCase(), shortNames: [...type.shortNames] },
      scope: type.namespaced ? 'Namespaced' : 'Cluster',
      versions: [{
        name: type.version, served: true, storage: true,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        subresources: { status: {} },
      }],
    },
    status: {
      acceptedNames: { kind: type.kind, listKind: type.listKind, plural: type.resource, singular: type.kind.toLowerCase() },
      conditions: [
        { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found' },
        { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' },
      ],
      storedVersions: [type.version],
    },
  };
}
