/**
 * The error catalogue. Every failure that crosses a module boundary is a KubetimeError with a
 * stable `code`; history-api maps codes to HTTP statuses in one table (history-api/errors.ts).
 */
import { K8sInvalidError } from '../k8s/errors.ts';

export const ERROR_CODES = [
  'INVALID_ARGUMENT',
  'NOT_FOUND',
  'AMBIGUOUS',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'HISTORY_EXPIRED',
  'STORE_UNAVAILABLE',
  'SNAPSHOT_INVALID',
  'PAYLOAD_TOO_LARGE',
  'TOO_MANY_REQUESTS',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class KubetimeError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KubetimeError';
    this.code = code;
    this.details = details;
  }
}

export function invalidArgument(param: string, message: string, details: Record<string, unknown> = {}): KubetimeError {
  return new KubetimeError('INVALID_ARGUMENT', `${param}: ${message}`, { param, ...details });
}

export function isKubetimeError(e: unknown): e is KubetimeError {
  return e instanceof KubetimeError;
}

/**
 * Runs a k8s/ building block (a selector parser), turning its K8sInvalidError into
 * INVALID_ARGUMENT with the same message, naming the same parameter.
 */
export function k8sInvalidAsArgument<T>(run: () => T): T {
  try {
    return run();
  } catch (e) {
    if (e instanceof K8sInvalidError) throw invalidArgument(e.param, e.reason, e.details);
    throw e;
  }
}
