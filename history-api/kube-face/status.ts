/**
 * Kubernetes `Status` bodies (meta/v1): how the Kubernetes face answers every failure, so that
 * kubectl prints `Error from server (NotFound): …` as it would against an API server.
 */
import { isKubetimeError, type KubetimeError } from '../../core/errors.ts';
import { errorResponse, toKubetimeError } from '../errors.ts';

export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: string;
  details?: { name?: string; group?: string; kind?: string };
  code: number;
}

/** The reason kube-apiserver gives with each status code (StatusReason in meta/v1). */
const REASONS: Record<number, string> = {
  400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 405: 'MethodNotAllowed',
  406: 'NotAcceptable', 410: 'Expired', 413: 'RequestEntityTooLarge', 415: 'UnsupportedMediaType',
  500: 'InternalError', 503: 'ServiceUnavailable',
};

export function kubeStatus(code: number, message: string, details?: KubeStatus['details']): KubeStatus {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: REASONS[code] ?? 'Unknown', ...(details ? { details } : {}), code };
}

export const READ_ONLY_MESSAGE = 'kubetime serves the past read-only';

/** A write verb or a watch: 405, whatever else is wrong with the request. */
export function methodNotAllowed(what: string): KubeStatus {
  return kubeStatus(405, `${READ_ONLY_MESSAGE}: ${what} is not supported`);
}

/** What the object a NOT_FOUND is about: its resource and name, for kubectl's message. */
export interface Target { resource: string; group: string; name?: string; at: string }

/**
 * Any error as a Status. An object's NOT_FOUND reads like kube-apiserver's (`pods "x" not found`)
 * followed by the as-of time and, when the viewer may know it, when the object did exist.
 */
export function statusOf(err: unknown, target?: Target): KubeStatus {
  const ke: KubetimeError = isKubetimeError(err) ? err : toKubetimeError(err);
  const { status, body } = errorResponse(ke);
  if (ke.code === 'NOT_FOUND' && target?.name !== undefined) {
    const existed = (ke.details.existed ?? []) as { from: string; to: string | null }[];
    const when = existed.length
      ? `; it existed ${existed.map((i) => `from ${i.from} to ${i.to ?? 'now'}`).join(', ')}`
      : '; kubetime has no record of it';
    const resource = target.group ? `${target.resource}.${target.group}` : target.resource;
    return kubeStatus(404, `${resource} "${target.name}" not found as of ${target.at}${when}`, { name: target.name, group: target.group, kind: target.resource });
  }
  return kubeStatus(status, body.error.message, target ? { ...(target.name ? { name: target.name } : {}), group: target.group, kind: target.resource } : undefined);
}
