/**
 * Who changes what in the simulated cluster: controllers, the scheduler, kubelets and people,
 * with the usernames, groups and user agents real clusters show in audit logs.
 */
import type { AuditUser, MutationContext, Verb } from './cluster.ts';

const KUBE = 'v1.31.4 (linux/amd64) kubernetes/a78aa47';

/** An actor: an audit user plus the user agent its requests carry. */
export interface Actor {
  user: AuditUser;
  userAgent: string;
}

function controller(name: string): Actor {
  const username = `system:serviceaccount:kube-system:${name}`;
  return {
    user: { username, groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'] },
    userAgent: `kube-controller-manager/${KUBE}/system:serviceaccount:kube-system:${name}`,
  };
}

export const ACTORS = {
  deploymentController: controller('deployment-controller'),
  replicaSetController: controller('replicaset-controller'),
  hpaController: controller('horizontal-pod-autoscaler'),
  pvBinder: controller('persistent-volume-binder'),
  pvcProtection: controller('pvc-protection-controller'),
  pvProtection: controller('pv-protection-controller'),
  garbageCollector: controller('generic-garbage-collector'),
  namespaceController: controller('namespace-controller'),
  nodeLifecycle: controller('node-controller'),
  scheduler: { user: { username: 'system:kube-scheduler', groups: ['system:authenticated'] }, userAgent: `kube-scheduler/${KUBE}/scheduler` },
  admin: { user: { username: 'kubernetes-admin', groups: ['kubeadm:cluster-admins', 'system:authenticated'] }, userAgent: `kubectl/${KUBE}` },
  alice: { user: { username: 'alice@example.com', groups: ['devs', 'system:authenticated'] }, userAgent: `kubectl/${KUBE}` },
  bob: { user: { username: 'bob@example.com', groups: ['sre', 'system:authenticated'] }, userAgent: `kubectl/${KUBE}` },
  ci: {
    user: { username: 'system:serviceaccount:argocd:argocd-application-controller', groups: ['system:serviceaccounts', 'system:serviceaccounts:argocd', 'system:authenticated'] },
    userAgent: 'argocd-controller/v2.13.2+dc43124 (linux/amd64)',
  },
  secretRotator: {
    user: { username: 'system:serviceaccount:platform:secret-rotator', groups: ['system:serviceaccounts', 'system:serviceaccounts:platform', 'system:authenticated'] },
    userAgent: 'secret-rotator/1.4.0',
  },
} satisfies Record<string, Actor>;

/** The kubelet of one node. */
export function kubelet(node: string): Actor {
  return { user: { username: `system:node:${node}`, groups: ['system:nodes', 'system:authenticated'] }, userAgent: `kubelet/${KUBE}` };
}

/** A mutation context for `actor` doing `verb` (optionally on a subresource). */
export function by(actor: Actor, verb: Verb, subresource?: string): MutationContext {
  const ctx: MutationContext = { user: actor.user, userAgent: actor.userAgent, verb };
  if (subresource) ctx.subresource = subresource;
  return ctx;
}
