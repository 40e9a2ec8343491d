/**
 * Kubernetes `Status` objects (what the API server answers with on errors, and what a watch
 * sends in an ERROR event), and the ApiError the simulator throws internally to answer with one.
 */

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

/** An error the simulated API server answers with a Status of its reason. */
export class ApiError extends Error {
  readonly reason: StatusReason;
  readonly details: NonNullable<K8sStatus['details']>;

  constructor(reason: StatusReason, message: string, details: K8sStatus['details'] = {}) {
    super(message);
    this.name = 'ApiError';
    this.reason = reason;
    this.details = details;
  }
}

/** An ApiError of a reason (a function so call sites read `throw apiError('NotFound', …)`). */
export function apiError(reason: StatusReason, message: string, details: K8sStatus['details'] = {}): ApiError {
  return new ApiError(reason, message, details);
}

/** Whether `e` is an ApiError of `reason`. */
export function isApiError(e: unknown, reason?: StatusReason): e is ApiError {
  return e instanceof ApiError && (reason === undefined || e.reason === reason);
}

/** The Status to answer for any thrown value (unknown errors become 500 InternalError). */
export function statusFromError(e: unknown): K8sStatus {
  if (e instanceof ApiError) {
    const { name, group, kind } = e.details;
    return failureStatus(e.reason, e.message, name ? { name, group, kind } : undefined);
  }
  return failureStatus('InternalError', e instanceof Error ? e.message : String(e));
}
