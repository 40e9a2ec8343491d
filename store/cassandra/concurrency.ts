/**
 * Small concurrency tools for the Cassandra store: a semaphore bounding requests in flight, a
 * keyed mutex serialising work on one key, and a bounded parallel map.
 */

/** Bounds how many async operations run at once; the rest wait in FIFO order. */
export class Semaphore {
  readonly #limit: number;
  #active = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`semaphore limit must be a positive integer, got ${limit}`);
    this.#limit = limit;
  }

  /** Operations currently holding a permit. */
  get active(): number {
    return this.#active;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#active >= this.#limit) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#active++;
    }
    try {
      return await fn();
    } finally {
      const next = this.#waiting.shift();
      // Hand the permit straight to the next waiter, so #active stays exact.
      if (next) next();
      else this.#active--;
    }
  }
}

/** Runs functions for the same key one after another; different keys run concurrently. */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const current = previous.then(fn, fn);
    const tail = current.catch(() => undefined);
    this.#tails.set(key, tail);
    try {
      return await current;
    } finally {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }

  /** Keys with work queued or running (for tests). */
  get size(): number {
    return this.#tails.size;
  }
}

/**
 * A readers-writer lock: any number of `read` holders at once, or one `write` holder alone. A
 * waiting writer holds back new readers, so writers are not starved.
 */
export class RwLock {
  #readers = 0;
  #writing = false;
  #writersWaiting = 0;
  readonly #wake: (() => void)[] = [];

  async read<T>(fn: () => Promise<T>): Promise<T> {
    while (this.#writing || this.#writersWaiting > 0) await this.#wait();
    this.#readers++;
    try {
      return await fn();
    } finally {
      this.#readers--;
      this.#notify();
    }
  }

  async write<T>(fn: () => Promise<T>): Promise<T> {
    this.#writersWaiting++;
    try {
      while (this.#writing || this.#readers > 0) await this.#wait();
    } finally {
      this.#writersWaiting--;
    }
    this.#writing = true;
    try {
      return await fn();
    } finally {
      this.#writing = false;
      this.#notify();
    }
  }

  /** Holders right now (for tests). */
  get state(): { readers: number; writing: boolean } {
    return { readers: this.#readers, writing: this.#writing };
  }

  #wait(): Promise<void> {
    return new Promise((resolve) => this.#wake.push(resolve));
  }

  #notify(): void {
    // Everyone re-checks its condition; the queue is short (one per waiting operation).
    for (const w of this.#wake.splice(0)) w();
  }
}

/**
 * Maps `items` with at most `limit` calls of `fn` in flight, keeping the input order in the result.
 * The first rejection rejects the whole map once the calls already started have settled.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  let failure: unknown;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!, i);
      } catch (e) {
        if (!failed) {
          failed = true;
          failure = e;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed) throw failure;
  return results;
}
