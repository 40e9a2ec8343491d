/** Small helpers over async iterables (the store ports answer with them). */

/** Collects an async iterable into an array. */
export async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
