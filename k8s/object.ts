/** A Kubernetes object as the API serves it, and the names that identify its kind. */

export type KubeObject = Record<string, unknown> & {
  apiVersion?: string;
  kind?: string;
  metadata?: Record<string, unknown>;
};

/** The event types of a watch that carry an object. */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** Group+Kind as one string: `Pod`, `Deployment.apps`, `Widget.example.com`. */
export function groupKind(group: string, kind: string): string {
  return group ? `${kind}.${group}` : kind;
}
