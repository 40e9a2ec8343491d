/**
 * Idempotent retries, proven by fault injection on a real Cassandra: while appending, the Nth
 * driver request (read or write, N random per batch) fails as a timed-out request would. The
 * append must reject with STORE_UNAVAILABLE carrying the driver error as `cause`; the caller
 * retries the batch; in the end the store must answer exactly like a store that never failed
 * (the embedded store fed the same batches): nothing lost, nothing stored twice.
 */
import cassandra from 'cassandra-driver';
import { expect, it, vi } from 'vitest';
import { KubetimeError } from '../../core/errors.ts';
import type { ChangeRecord } from '../../core/record.ts';
import { describeCassandra, storesPerTest } from './cassandra-helpers.ts';
import { StoreComparison } from './cassandra-compare.ts';
import { batches, generateWorkload, prng } from './cassandra-workload.ts';

const TINY = {
  revisionBucketSeconds: 600, feedBucketSeconds: 60, namespaceFeedBucketSeconds: 300,
  lifetimeEpochSeconds: 900, churnyEpochSeconds: 300, lifetimeShards: 2,
};

/** Makes the `failAt`-th driver request from now on fail (0 = none). */
function injectFaults() {
  const state = { countdown: 0, injected: 0 };
  const fail = () => {
    if (state.countdown > 0 && --state.countdown === 0) {
      state.injected++;
      return new cassandra.errors.OperationTimedOutError('injected fault');
    }
    return undefined;
  };
  const exec = cassandra.Client.prototype.execute;
  const batch = cassandra.Client.prototype.batch;
  vi.spyOn(cassandra.Client.prototype, 'execute').mockImplementation(function (this: cassandra.Client, ...args: unknown[]) {
    const e = fail();
    return e ? Promise.reject(e) : (exec as (...a: unknown[]) => Promise<unknown>).apply(this, args);
  } as typeof exec);
  vi.spyOn(cassandra.Client.prototype, 'batch').mockImplementation(function (this: cassandra.Client, ...args: unknown[]) {
    const e = fail();
    return e ? Promise.reject(e) : (batch as (...a: unknown[]) => Promise<unknown>).apply(this, args);
  } as typeof batch);
  return state;
}

describeCassandra('CassandraHistoryStore: a failure at any point of an append, then a retry', (target) => {
  const stores = storesPerTest(target, 'kt_faults', TINY, { uidConcurrency: 4 });

  it.each([23, 24, 25, 26, 27])('rejects with STORE_UNAVAILABLE and converges to exactly-once after retries (seed %i)', async (seed) => {
    const { cass: c, lmdb: l } = stores();
    const w = generateWorkload(seed, { names: 3 });
    const rnd = prng(seed * 1000);
    const faults = injectFaults();
    let rejected = 0;
    for (const b of batches(w.deliveries, 12, rnd)) {
      await l.append(b);
      faults.countdown = 1 + Math.floor(rnd() * 60);
      let attempts = 0;
      for (;;) {
        attempts++;
        try {
          await c.append(b as ChangeRecord[]);
          break;
        } catch (e) {
          expect(e).toBeInstanceOf(KubetimeError);
          expect((e as KubetimeError).code).toBe('STORE_UNAVAILABLE');
          expect((e as KubetimeError).cause).toBeInstanceOf(cassandra.errors.OperationTimedOutError);
          rejected++;
          expect(attempts).toBeLessThan(3);
        }
      }
      faults.countdown = 0;
    }
    // The faults really hit appends half way, many times.
    expect(faults.injected).toBeGreaterThanOrEqual(10);
    expect(rejected).toBe(faults.injected);
    vi.restoreAllMocks();
    await new StoreComparison(c, l, w).everything();
  }, 600_000);
});
