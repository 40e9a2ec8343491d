/**
 * Kubernetes `Status` objects (what the API server answers with on errors, and what a watch
 * sends in an ERROR event), and the KubetimeError form the simulator throws internally.
 */
import { KubetimeError, isKubetimeError, type ErrorCode } from '../core/errors.ts';

/** The `reason` values the simulator uses, with their HTTP status codes. */
export const STATUS_REASONS = {
  BadRequest: 400,
  Unauthorized: 401,
  NotFound: 404,
  MethodNotAllowed: 405,
  AlreadyExists: 409,
  Conflict: 409,
  Expired: 410,
  Gone: 410,
  Invalid: 422,
  TooManyRequests: 429,
  InternalError: 500,
  ServiceUnavailable: 503,
} as const;

export type StatusReason = keyof typeof STATUS_REASONS;

/** A `meta/v1 Status` failure object. */
export interface K8sStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Failure' | 'Success';
  message: string;
  reason: StatusReason | '';
  details?: { name?: string; group?: string; kind?: string; retryAfterSeconds?: number };
  code: number;
}

export function failureStatus(reason: StatusReason, message: string, details?: K8sStatus['details']): K8sStatus {
  const s: K8sStatus = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code: STATUS_REASONS[reason] };
  if (details) s.details = details;
  return s;
}

const CODE_FOR_REASON: Partial<Record<StatusReason, ErrorCode>> = {
  NotFound: 'NOT_FOUND',
  Expired: 'HISTORY_EXPIRED',
  Gone: 'HISTORY_EXPIRED',
  Unauthorized: 'UNAUTHENTICATED',
  InternalError: 'INTERNAL',
};

/** A KubetimeError that carries the Kubernetes reason, so the server can answer with a Status. */
export function apiError(reason: StatusReason, message: string, details: K8sStatus['details'] = {}): KubetimeError {
  return new KubetimeError(CODE_FOR_REASON[reason] ?? 'INVALID_ARGUMENT', message, { reason, ...details });
}

/** The Status to answer for any thrown value (unknown errors become 500 InternalError). */
export function statusFromError(e: unknown): K8sStatus {
  if (isKubetimeError(e)) {
    const reason = (e.details.reason as StatusReason | undefined) ?? (e.code === 'NOT_FOUND' ? 'NotFound' : e.code === 'INTERNAL' ? 'InternalError' : 'BadRequest');
    const { name, group, kind } = e.details as { name?: string; group?: string; kind?: string };
    return failureStatus(reason in STATUS_REASONS ? reason : 'BadRequest', e.message, name ? { name, group, kind } : undefined);
  }
  return failureStatus('InternalError', e instanceof Error ? e.message : String(e));
}
