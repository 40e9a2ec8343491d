/**
 * Concurrency tools only the Cassandra store needs: a keyed mutex serialising work on one key and
 * a readers-writer lock. (Bounds on requests in flight are p-limit; the bounded map is
 * core/concurrency.ts.)
 */

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

  /**
   * Runs `fn` holding every key. Keys are taken one by one in sorted order, so two callers whose
   * key sets overlap cannot each hold a key the other waits for.
   */
  async runAll<T>(keys: Iterable<string>, fn: () => Promise<T>): Promise<T> {
    const sorted = [...new Set(keys)].sort();
    const hold = (i: number): Promise<T> => (i === sorted.length ? fn() : this.run(sorted[i]!, () => hold(i + 1)));
    return hold(0);
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
