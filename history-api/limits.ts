/**
 * Bounds on what one client can make the server hold (docs/hardening.md):
 * - request timeouts: a request (headers and body) must arrive within `requestTimeoutMs`
 *   (default 30 s), so a body sent slowly is cut (Node answers 408 and closes the connection);
 * - audit bodies in flight: the bytes of audit bodies being received or ingested at once are
 *   bounded (`auditMaxInflightBytes`, default 256 MiB); past it a new batch gets 429 with
 *   Retry-After, which kube-apiserver's webhook backend retries, instead of the process growing
 *   past its memory limit (4 × 50 MB bodies took RSS from 186 to 659 MB).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { KubetimeError } from '../core/errors.ts';
import { errorResponse } from './errors.ts';

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_AUDIT_MAX_INFLIGHT_BYTES = 256 * 1024 * 1024;
/** Seconds a client refused for load is told to wait. */
export const RETRY_AFTER_SECONDS = 5;

/** The fastify/Node server options enforcing `requestTimeoutMs`. */
export function timeoutOptions(requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS): {
  requestTimeout: number; http: { connectionsCheckingInterval: number; requestTimeout: number; headersTimeout: number };
} {
  // Node enforces these only when given to the server's constructor (fastify sets requestTimeout
  // afterwards, which is not enough), and checks them every connectionsCheckingInterval (default
  // 30 s): check often enough that a request is cut close to its deadline.
  const http = {
    connectionsCheckingInterval: Math.max(100, Math.min(5000, Math.floor(requestTimeoutMs / 10))),
    requestTimeout: requestTimeoutMs,
    headersTimeout: Math.min(requestTimeoutMs, 60_000),
  };
  return { requestTimeout: requestTimeoutMs, http };
}

/**
 * Admits requests while the bytes they declare (Content-Length; a body without one counts as
 * `unknownBytes`) fit under `maxBytes`; one request alone is always admitted (its own size is
 * bounded by the route's bodyLimit). Each admitted request gives its bytes back once answered
 * or aborted.
 */
export class InflightBytes {
  readonly #max: number;
  readonly #unknown: number;
  #bytes = 0;
  readonly #held = new WeakMap<FastifyRequest, number>();

  constructor(maxBytes: number, unknownBytes: number) {
    this.#max = maxBytes;
    this.#unknown = unknownBytes;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Admits `req` (true) or answers 429 with Retry-After (false). */
  admit(req: FastifyRequest, reply: FastifyReply): boolean {
    const declared = Number(req.headers['content-length']);
    const n = Number.isFinite(declared) && declared >= 0 ? declared : this.#unknown;
    if (this.#bytes > 0 && this.#bytes + n > this.#max) {
      const { body } = errorResponse(new KubetimeError('TOO_MANY_REQUESTS', `audit bodies in flight exceed ${this.#max} bytes; retry after ${RETRY_AFTER_SECONDS}s`, { retryAfterSeconds: RETRY_AFTER_SECONDS }));
      void reply.code(429).header('retry-after', String(RETRY_AFTER_SECONDS)).send(body);
      return false;
    }
    this.#bytes += n;
    this.#held.set(req, n);
    return true;
  }

  /** Gives `req`'s bytes back (idempotent: call it on response and on abort). */
  release(req: FastifyRequest): void {
    const n = this.#held.get(req);
    if (n === undefined) return;
    this.#held.delete(req);
    this.#bytes -= n;
  }
}
