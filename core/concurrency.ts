/**
 * Bounded parallelism for the whole project, over p-limit (a plain promise queue, no I/O): a
 * limiter is `pLimit(n)` itself; `mapLimit` is the one bounded map; `allSettledOrThrow` waits for
 * work already started before it reports a failure.
 */
import pLimit from 'p-limit';

/**
 * Maps `items` with at most `limit` calls of `fn` in flight, keeping the input order in the result.
 * The first rejection rejects the whole map once the calls already started have settled; no call
 * starts after it.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const run = pLimit(Math.max(1, limit));
  let failure: { error: unknown } | undefined;
  const settled = await Promise.all(items.map((item, i) => run(async () => {
    if (failure) return undefined;
    try {
      return await fn(item, i);
    } catch (error) {
      failure ??= { error };
      return undefined;
    }
  })));
  if (failure) throw failure.error;
  return settled as R[];
}

/** Waits for every promise, then rejects with the first failure (in `all`'s order) if any. */
export async function allSettledOrThrow(all: readonly Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(all)).find((x) => x.status === 'rejected');
  if (failed) throw failed.reason;
}
