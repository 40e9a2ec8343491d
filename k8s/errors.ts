/**
 * The one error k8s/ throws: a request parameter the apiserver would refuse with 400 BadRequest.
 * `reason` is the apiserver's own wording; `message` prefixes it with the parameter. Callers map
 * it to their own error (core/: INVALID_ARGUMENT, same message; simulator/: a Status).
 */
export class K8sInvalidError extends Error {
  readonly param: string;
  readonly reason: string;
  readonly details: Record<string, unknown>;

  constructor(param: string, reason: string, details: Record<string, unknown> = {}) {
    super(`${param}: ${reason}`);
    this.name = 'K8sInvalidError';
    this.param = param;
    this.reason = reason;
    this.details = details;
  }
}
