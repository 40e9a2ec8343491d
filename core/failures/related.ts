/**
 * The objects related to a failing one, read from its own manifest: its controller owners, the
 * Node it runs on, and the ConfigMaps and Secrets it mounts or references. Pure.
 */
import { splitApiVersion } from '../kinds.ts';
import { groupKind, type KubeObject } from '../record.ts';
import type { SuspectRelation } from './types.ts';

type Obj = Record<string, any>;

/** A related object's address: groupKind, namespace ('' for cluster-scoped), name, and why. */
export interface RelatedKey {
  gk: string;
  kind: string;
  namespace: string;
  name: string;
  relation: SuspectRelation;
}

/** ConfigMaps every Pod gets (the service-account token's CA bundle): never a suspect. */
const IMPLICIT_CONFIG = new Set(['kube-root-ca.crt']);

/** The controller owners named by `obj` (in its namespace). */
export function ownersOf(obj: KubeObject, namespace: string): RelatedKey[] {
  const refs = ((obj.metadata as Obj | undefined)?.ownerReferences ?? []) as Obj[];
  return refs.filter((r) => r.controller && r.kind && r.name).map((r) => ({
    gk: groupKind(splitApiVersion(String(r.apiVersion ?? 'v1')).group, String(r.kind)),
    kind: String(r.kind), namespace, name: String(r.name), relation: 'owner' as const,
  }));
}

/** A Pod's spec, or a workload's pod template spec. */
function podSpecOf(obj: KubeObject): Obj | undefined {
  const spec = obj.spec as Obj | undefined;
  return obj.kind === 'Pod' ? spec : spec?.template?.spec ?? spec?.jobTemplate?.spec?.template?.spec;
}

function configNames(spec: Obj): { configMaps: Set<string>; secrets: Set<string> } {
  const configMaps = new Set<string>();
  const secrets = new Set<string>();
  for (const v of (spec.volumes ?? []) as Obj[]) {
    if (v.configMap?.name) configMaps.add(v.configMap.name);
    if (v.secret?.secretName) secrets.add(v.secret.secretName);
    for (const s of (v.projected?.sources ?? []) as Obj[]) {
      if (s.configMap?.name) configMaps.add(s.configMap.name);
      if (s.secret?.name) secrets.add(s.secret.name);
    }
  }
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])] as Obj[]) {
    for (const e of (c.envFrom ?? []) as Obj[]) {
      if (e.configMapRef?.name) configMaps.add(e.configMapRef.name);
      if (e.secretRef?.name) secrets.add(e.secretRef.name);
    }
    for (const e of (c.env ?? []) as Obj[]) {
      if (e.valueFrom?.configMapKeyRef?.name) configMaps.add(e.valueFrom.configMapKeyRef.name);
      if (e.valueFrom?.secretKeyRef?.name) secrets.add(e.valueFrom.secretKeyRef.name);
    }
  }
  for (const s of (spec.imagePullSecrets ?? []) as Obj[]) if (s.name) secrets.add(s.name);
  return { configMaps, secrets };
}

/** The Node and the ConfigMaps/Secrets `obj` (a Pod or a workload) points at. */
export function dependenciesOf(obj: KubeObject, namespace: string): RelatedKey[] {
  const spec = podSpecOf(obj);
  if (!spec) return [];
  const out: RelatedKey[] = [];
  if (obj.kind === 'Pod' && spec.nodeName) out.push({ gk: 'Node', kind: 'Node', namespace: '', name: String(spec.nodeName), relation: 'node' });
  const { configMaps, secrets } = configNames(spec);
  for (const name of configMaps) if (!IMPLICIT_CONFIG.has(name)) out.push({ gk: 'ConfigMap', kind: 'ConfigMap', namespace, name, relation: 'config' });
  for (const name of secrets) out.push({ gk: 'Secret', kind: 'Secret', namespace, name, relation: 'config' });
  return out;
}
