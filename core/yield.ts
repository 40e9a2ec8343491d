/**
 * Big work in the queries (lists of thousands, scope diffs, graphs) runs on the one thread that
 * also answers /healthz and small queries. It lets the event loop turn between chunks, so a heavy
 * request slows itself, not everyone else (docs/hardening.md).
 */

/** Items handled between two turns of the event loop. */
export const YIELD_EVERY = 512;

/** Resolves on a later turn of the event loop (after pending I/O callbacks run). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
