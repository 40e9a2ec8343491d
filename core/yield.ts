/**
 * Big work in the queries (lists of thousands, scope diffs, graphs) runs on the one thread that
 * also answers /healthz and small queries. It lets the event loop turn whenever it has held it
 * for SLICE_MS, so a heavy request slows itself, not everyone else (docs/hardening.md).
 */

/** How long work keeps the event loop before letting it turn, ms. */
export const SLICE_MS = 10;

/** Resolves on a later turn of the event loop (after pending I/O callbacks run). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

let sliceStart = performance.now();

/**
 * Call between small steps of big work: yields to the event loop when the current slice (shared
 * by every request on the thread) has lasted SLICE_MS; otherwise resolves at once (a microtask).
 */
export async function pace(): Promise<void> {
  if (performance.now() - sliceStart < SLICE_MS) return;
  await yieldToEventLoop();
  sliceStart = performance.now();
}
