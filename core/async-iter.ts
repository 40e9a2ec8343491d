/** Small helpers over async iterables (the store ports answer with them). */
import { pace } from './yield.ts';

/** Collects an async iterable into an array. */
export async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) {
    out.push(x);
    // An embedded store's iterators answer synchronously: let the event loop turn now and then.
    if ((out.length & 63) === 0) await pace();
  }
  return out;
}
